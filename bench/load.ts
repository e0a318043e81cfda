import { note } from './progress.ts';
import type { Section } from './report.ts';
import type { Api, BenchService, Timed } from './service.ts';
import type { SquadQuestion } from './squad.ts';
import { percentile, round } from './stats.ts';

/**
 * The one load command: 8 clients for `seconds` on the answer section's memory.
 * - 6 answer clients, each sequential, cycling the modes MODES with max_tokens MAX_TOKENS;
 * - 2 ingestion clients, each posting one new document every INGEST_EVERY_MS;
 * - and a liveness probe: GET /healthz every HEALTH_EVERY_MS, as an orchestrator would.
 * A 429 (with Retry-After) is the documented answer to a full line: counted, not an error.
 */
const ANSWER_CLIENTS = 6;
const INGEST_CLIENTS = 2;
const MODES = ['mac', 'base', 'rag'] as const;
const MAX_TOKENS = 32;
const INGEST_EVERY_MS = 1000;
const HEALTH_EVERY_MS = 100;
const TOPICS = ['river', 'bridge', 'festival', 'election', 'museum', 'satellite', 'harbour', 'orchestra'];

interface Log {
  latencyMs: number[];
  errors: Map<string, number>;
  refused: number;
}

const newLog = (): Log => ({ latencyMs: [], errors: new Map(), refused: 0 });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function runLoad(svc: BenchService, questions: SquadQuestion[], seconds: number): Promise<Section> {
  const before = (await svc.api.get('/v1/freshness')).body;
  const answers = Object.fromEntries(MODES.map((m) => [m, newLog()])) as Record<(typeof MODES)[number], Log>;
  const ingest = newLog();
  const health = newLog();
  const posted: string[] = [];
  const started = performance.now();
  const deadline = started + seconds * 1000;
  const runId = Date.now().toString(36);
  let asked = 0;
  const answered = () => MODES.reduce((s, m) => s + answers[m].latencyMs.length, 0);
  const ticker = setInterval(() => note(`load: ${answered()} answers, ${posted.length} documents posted, ${health.latencyMs.length} health probes`), 10_000);

  // A request in flight at the deadline still finishes and counts; elapsed time runs to the last one.
  const answerClient = async (client: number) => {
    while (performance.now() < deadline) {
      const n = asked++;
      const q = questions[n % questions.length];
      const mode = MODES[(n + client) % MODES.length];
      const res = await attempt(() => svc.api.post('/v1/answers', { question: q.question, mode, max_tokens: MAX_TOKENS }));
      record(answers[mode], res);
      if (!(res instanceof Error) && res.status === 429) await sleep(1000 * (Number(res.headers['retry-after']) || 1));
    }
  };
  const ingestClient = async (client: number) => {
    for (let i = client; performance.now() < deadline; i += INGEST_CLIENTS) {
      const next = performance.now() + INGEST_EVERY_MS;
      const topic = TOPICS[i % TOPICS.length];
      const doc = {
        id: `load-${runId}-${i}`, title: `Load note ${i}`, source: 'bench-load',
        text: `Bulletin ${i} about the ${topic}: the ${topic} committee met on day ${i % 28 + 1} and approved item ${i * 7 % 1000}. Attendance was ${100 + (i * 37) % 900}.`,
      };
      const res = await attempt(() => svc.api.post('/v1/documents', doc));
      if (record(ingest, res)) posted.push(doc.id);
      await sleep(next - performance.now());
    }
  };
  const healthProbe = async () => {
    while (performance.now() < deadline) {
      const next = performance.now() + HEALTH_EVERY_MS;
      record(health, await attempt(() => svc.api.get('/healthz')));
      await sleep(next - performance.now());
    }
  };
  try {
    await Promise.all([
      ...Array.from({ length: ANSWER_CLIENTS }, (_, c) => answerClient(c)),
      ...Array.from({ length: INGEST_CLIENTS }, (_, c) => ingestClient(c)),
      healthProbe(),
    ]);
  } finally {
    clearInterval(ticker);
  }
  const elapsed = (performance.now() - started) / 1000;
  const lag = await ingestionLag(svc.api, posted, 60_000);
  const after = (await svc.api.get('/v1/freshness')).body;

  const summary = (log: Log) => ({
    ok: log.latencyMs.length, per_s: round(log.latencyMs.length / elapsed, 2),
    p50_ms: round(percentile(log.latencyMs, 0.5)), p99_ms: round(percentile(log.latencyMs, 0.99)), max_ms: round(Math.max(0, ...log.latencyMs)),
    refused_429: log.refused, errors: [...log.errors.values()].reduce((a, b) => a + b, 0), error_kinds: Object.fromEntries(log.errors),
  });
  const all = newLog();
  for (const m of MODES) {
    all.latencyMs.push(...answers[m].latencyMs);
    all.refused += answers[m].refused;
    for (const [k, v] of answers[m].errors) all.errors.set(k, (all.errors.get(k) ?? 0) + v);
  }
  const byMode = Object.fromEntries(MODES.map((m) => [m, summary(answers[m])]));
  const a = summary(all);
  const d = summary(ingest);
  const h = summary(health);
  const data = {
    seconds, elapsed_seconds: round(elapsed), answer_clients: ANSWER_CLIENTS, modes: MODES, max_tokens: MAX_TOKENS,
    ingest_clients: INGEST_CLIENTS, ingest_every_ms: INGEST_EVERY_MS, health_every_ms: HEALTH_EVERY_MS,
    answers: a, answers_by_mode: byMode, documents: d, healthz: h,
    ingestion_lag: { documents: posted.length, indexed: lag.ms.length, not_indexed_after_60s: lag.missing, p50_ms: round(percentile(lag.ms, 0.5)), p99_ms: round(percentile(lag.ms, 0.99)) },
    queue_depth_after: after.queue.depth,
    errors: a.errors + d.errors + h.errors,
  };
  const row = (name: string, s: ReturnType<typeof summary>) => [name, s.ok, s.per_s, s.p50_ms, s.p99_ms, s.max_ms, s.refused_429, s.errors];
  return {
    name: 'load',
    data,
    tables: [{
      title: `${seconds} s on loopback: ${ANSWER_CLIENTS} answer clients (${MODES.join('/')} in turn, max_tokens ${MAX_TOKENS}) + ` +
        `${INGEST_CLIENTS} ingestion clients (one document per ${INGEST_EVERY_MS} ms each) + GET /healthz every ${HEALTH_EVERY_MS} ms`,
      columns: ['traffic', 'ok', 'per s', 'p50 ms', 'p99 ms', 'max ms', '429', 'errors'],
      rows: [
        row('answers, all modes', a),
        ...MODES.map((m) => row(`answers, ${m}`, byMode[m])),
        row('documents posted (202)', d),
        row('GET /healthz', h),
        ['ingestion lag (202 to indexed)', lag.ms.length, null, data.ingestion_lag.p50_ms, data.ingestion_lag.p99_ms, round(Math.max(0, ...lag.ms)), null, lag.missing],
      ],
    }],
    targets: [{ name: 'GET /healthz p99 under mixed load (ms)', value: h.p99_ms, target: '< 100', met: h.p99_ms === null ? null : h.p99_ms < 100 }],
    notes: [
      `memory at the start: ${before.documents.indexed} documents, ${before.passages} passages (the answer section's); ingestion queue left at the end: ${after.queue.depth}`,
      'an error is any non-2xx answer other than a documented 429, or a failed connection; each answer client sends its next request when the previous one returns (after Retry-After on a 429)',
      'ingestion lag: received_at to indexed_at of each posted version, read back after the run (waiting up to 60 s for the last ones; the "errors" cell counts versions still not indexed)',
      ...(data.errors ? [`error kinds: answers ${JSON.stringify(a.error_kinds)}, documents ${JSON.stringify(d.error_kinds)}, healthz ${JSON.stringify(h.error_kinds)}`] : []),
    ],
  };
}

/** received_at -> indexed_at of each posted document's first version, waiting up to `waitMs` for stragglers. */
async function ingestionLag(api: Api, ids: string[], waitMs: number): Promise<{ ms: number[]; missing: number }> {
  const until = performance.now() + waitMs;
  const ms: number[] = [];
  let pending = ids;
  while (pending.length) {
    const still: string[] = [];
    for (const id of pending) {
      const v = (await api.get(`/v1/documents/${encodeURIComponent(id)}`)).body?.versions?.[0];
      if (v?.indexed_at) ms.push(Date.parse(v.indexed_at) - Date.parse(v.received_at));
      else still.push(id);
    }
    pending = still;
    if (!pending.length || performance.now() > until) break;
    await sleep(1000);
  }
  return { ms, missing: pending.length };
}

async function attempt(call: () => Promise<Timed>): Promise<Timed | Error> {
  try {
    return await call();
  } catch (err) {
    return err as Error;
  }
}

/** True when the call succeeded (2xx). */
function record(log: Log, res: Timed | Error): boolean {
  if (res instanceof Error) return bump(log, `network: ${res.message}`);
  if (res.status === 429) return (log.refused++, false);
  if (res.status < 200 || res.status >= 300) return bump(log, `${res.status} ${res.body?.error?.code ?? ''}`.trim());
  log.latencyMs.push(res.ms);
  return true;
}

const bump = (log: Log, kind: string) => (log.errors.set(kind, (log.errors.get(kind) ?? 0) + 1), false);
