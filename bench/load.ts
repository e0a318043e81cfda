import { note } from './progress.ts';
import type { Section } from './report.ts';
import type { Api, BenchService, Timed } from './service.ts';
import type { SquadQuestion } from './squad.ts';
import { percentile, round } from './stats.ts';

/**
 * The one load command: for `seconds`, on the answer section's memory,
 * - ANSWER_CLIENTS answer clients, each sequential, cycling the mix's modes with max_tokens MAX_TOKENS;
 * - INGEST_CLIENTS ingestion clients, each posting one new document every INGEST_EVERY_MS;
 * - and a liveness probe: GET /healthz every HEALTH_EVERY_MS, as an orchestrator would.
 * A 429 (with Retry-After) is the documented answer to a full line: counted, not an error.
 *
 * Two mixes: `decode` (mac and base: short prompts, so the time is decode steps, what batching speeds up)
 * and `rag` (rag and hybrid: long prompts and grounded span reading, mostly prefill). The section runs
 * each mix with continuous batching on (DECODE_BATCH=8) and off (DECODE_BATCH=1), same service, same data.
 */
const ANSWER_CLIENTS = 8;
const INGEST_CLIENTS = 2;
export const MIXES = { decode: ['mac', 'base'], rag: ['rag', 'hybrid'] } as const;
export type Mix = keyof typeof MIXES;
const MAX_TOKENS = 32;
const INGEST_EVERY_MS = 1000;
const HEALTH_EVERY_MS = 100;
const BATCH_ON = 8;
const TOPICS = ['river', 'bridge', 'festival', 'election', 'museum', 'satellite', 'harbour', 'orchestra'];

interface Log {
  latencyMs: number[];
  errors: Map<string, number>;
  refused: number;
}

const newLog = (): Log => ({ latencyMs: [], errors: new Map(), refused: 0 });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const summary = (log: Log, elapsed: number) => ({
  ok: log.latencyMs.length, per_s: round(log.latencyMs.length / elapsed, 2),
  p50_ms: round(percentile(log.latencyMs, 0.5)), p99_ms: round(percentile(log.latencyMs, 0.99)), max_ms: round(Math.max(0, ...log.latencyMs)),
  refused_429: log.refused, errors: [...log.errors.values()].reduce((a, b) => a + b, 0), error_kinds: Object.fromEntries(log.errors),
});
type Summary = ReturnType<typeof summary>;

/** The SPIN_WAIT values a load run may set. */
type SpinName = 'true' | 'false' | 'auto';

export interface LoadRun {
  mix: Mix;
  modes: readonly string[];
  decode_batch: number | null;
  /** SPIN_WAIT of the run (`auto`, the service default, unless the section set it). */
  spin_wait: SpinName;
  seconds: number;
  elapsed_seconds: number;
  answers: Summary;
  answers_by_mode: Record<string, Summary>;
  documents: Summary;
  healthz: Summary;
  ingestion_lag: { documents: number; indexed: number; not_indexed_after_60s: number; p50_ms: number | null; p99_ms: number | null; max_ms: number | null };
  passages_at_start: number;
  queue_depth_after: number;
  tokens: { completion_mean: number | null; prompt_mean: number | null; share_cached: number | null };
  errors: number;
}

/** One run of the load command with one mix against a running service. */
export async function runLoad(svc: BenchService, questions: SquadQuestion[], seconds: number, mix: Mix = 'decode', decodeBatch: number | null = null, spinWait: SpinName = 'auto'): Promise<LoadRun> {
  const modes = MIXES[mix];
  const before = (await svc.api.get('/v1/freshness')).body;
  const answers = Object.fromEntries(modes.map((m) => [m, newLog()])) as Record<string, Log>;
  const ingest = newLog();
  const health = newLog();
  const posted: string[] = [];
  // what the answers cost: their tokens, and the prompt tokens the LM's prompt cache served
  const usage = { answers: 0, prompt: 0, cached: 0, completion: 0 };
  const started = performance.now();
  const deadline = started + seconds * 1000;
  const runId = Date.now().toString(36);
  let asked = 0;
  const answered = () => modes.reduce((s, m) => s + answers[m].latencyMs.length, 0);
  const label = `load ${mix}${decodeBatch === null ? '' : `, DECODE_BATCH=${decodeBatch}`}`;
  const ticker = setInterval(() => note(`${label}: ${answered()} answers, ${posted.length} documents posted, ${health.latencyMs.length} health probes`), 10_000);

  // A request in flight at the deadline still finishes and counts; elapsed time runs to the last one.
  const answerClient = async () => {
    while (performance.now() < deadline) {
      const n = asked++;
      const q = questions[n % questions.length];
      const mode = modes[n % modes.length];
      const res = await attempt(() => svc.api.post('/v1/answers', { question: q.question, mode, max_tokens: MAX_TOKENS }));
      if (record(answers[mode], res) && !(res instanceof Error)) {
        usage.answers++;
        usage.prompt += res.body.usage.prompt_tokens;
        usage.cached += res.body.usage.cached_tokens;
        usage.completion += res.body.usage.completion_tokens;
      }
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
      ...Array.from({ length: ANSWER_CLIENTS }, () => answerClient()),
      ...Array.from({ length: INGEST_CLIENTS }, (_, c) => ingestClient(c)),
      healthProbe(),
    ]);
  } finally {
    clearInterval(ticker);
  }
  const elapsed = (performance.now() - started) / 1000;
  const lag = await ingestionLag(svc.api, posted, 60_000);
  const after = (await svc.api.get('/v1/freshness')).body;
  const all = newLog();
  for (const m of modes) {
    all.latencyMs.push(...answers[m].latencyMs);
    all.refused += answers[m].refused;
    for (const [k, v] of answers[m].errors) all.errors.set(k, (all.errors.get(k) ?? 0) + v);
  }
  const a = summary(all, elapsed);
  const d = summary(ingest, elapsed);
  const h = summary(health, elapsed);
  return {
    mix, modes, decode_batch: decodeBatch, spin_wait: spinWait, seconds, elapsed_seconds: round(elapsed)!,
    answers: a, answers_by_mode: Object.fromEntries(modes.map((m) => [m, summary(answers[m], elapsed)])), documents: d, healthz: h,
    ingestion_lag: { documents: posted.length, indexed: lag.ms.length, not_indexed_after_60s: lag.missing, p50_ms: round(percentile(lag.ms, 0.5)), p99_ms: round(percentile(lag.ms, 0.99)), max_ms: round(Math.max(0, ...lag.ms)) },
    passages_at_start: before.passages, queue_depth_after: after.queue.depth,
    tokens: { completion_mean: round(usage.completion / Math.max(usage.answers, 1), 1), prompt_mean: round(usage.prompt / Math.max(usage.answers, 1), 1), share_cached: round(usage.cached / Math.max(usage.prompt, 1), 3) },
    errors: a.errors + d.errors + h.errors,
  };
}

/**
 * The load section: each mix with batching on, then off, the service restarted between runs on the same
 * data (`restart` takes the service's environment overrides and returns it running).
 */
export async function runLoadSection(restart: (env: Record<string, string>) => Promise<BenchService>, questions: SquadQuestion[], seconds: number): Promise<Section> {
  const runs: LoadRun[] = [];
  for (const mix of Object.keys(MIXES) as Mix[]) {
    for (const batch of [BATCH_ON, 1]) {
      const svc = await restart({ DECODE_BATCH: String(batch), MAX_CONCURRENT_ANSWERS: String(ANSWER_CLIENTS) });
      runs.push(await runLoad(svc, questions, seconds, mix, batch));
    }
  }
  // the model threads never spinning between passes, then always (the default, auto, spins only while the other thread is idle)
  for (const spin of ['false', 'true'] as const) {
    const svc = await restart({ DECODE_BATCH: String(BATCH_ON), MAX_CONCURRENT_ANSWERS: String(ANSWER_CLIENTS), SPIN_WAIT: spin });
    runs.push(await runLoad(svc, questions, seconds, 'decode', BATCH_ON, spin));
  }
  const find = (mix: Mix, batch: number, spin: SpinName = 'auto') => runs.find((r) => r.mix === mix && r.decode_batch === batch && r.spin_wait === spin)!;
  const ratio = (mix: Mix) => round((find(mix, BATCH_ON).answers.per_s ?? 0) / Math.max(1e-9, find(mix, 1).answers.per_s ?? 0), 2)!;
  const decodeOn = find('decode', BATCH_ON);
  const decodeOff = find('decode', 1);
  const spinRatio = (spin: SpinName) => round((find('decode', BATCH_ON, spin).answers.per_s ?? 0) / Math.max(1e-9, decodeOn.answers.per_s ?? 0), 2);
  const errors = runs.reduce((s, r) => s + r.errors, 0);
  const healthP99 = Math.max(...runs.map((r) => r.healthz.p99_ms ?? 0));
  const runLabel = (r: LoadRun) => `${r.mix} (${r.modes.join('/')}), batching ${r.decode_batch === 1 ? 'off' : `on (${r.decode_batch})`}${r.spin_wait === 'auto' ? '' : `, SPIN_WAIT=${r.spin_wait}`}`;
  return {
    name: 'load',
    data: { seconds, answer_clients: ANSWER_CLIENTS, max_tokens: MAX_TOKENS, ingest_clients: INGEST_CLIENTS, ingest_every_ms: INGEST_EVERY_MS, health_every_ms: HEALTH_EVERY_MS, mixes: MIXES, runs, answers_per_s_ratio: { decode: ratio('decode'), rag: ratio('rag') }, errors },
    tables: [{
      title: `${seconds} s per run on loopback: ${ANSWER_CLIENTS} answer clients (the mix's modes in turn, max_tokens ${MAX_TOKENS}, MAX_CONCURRENT_ANSWERS=${ANSWER_CLIENTS}) + ` +
        `${INGEST_CLIENTS} ingestion clients (one document per ${INGEST_EVERY_MS} ms each) + GET /healthz every ${HEALTH_EVERY_MS} ms; DECODE_BATCH=${BATCH_ON} (on) vs 1 (off)`,
      columns: ['run', 'answers', 'answers/s', 'p50 ms', 'p99 ms', '429', 'errors', 'documents (202)', 'ingestion lag p99 ms', '/healthz p99 ms', 'completion tokens', 'prompt share cached'],
      rows: runs.map((r) => [runLabel(r), r.answers.ok, r.answers.per_s, r.answers.p50_ms, r.answers.p99_ms, r.answers.refused_429, r.errors, r.documents.ok, r.ingestion_lag.p99_ms, r.healthz.p99_ms, r.tokens.completion_mean, r.tokens.share_cached]),
    }, {
      title: 'By mode',
      columns: ['run', 'mode', 'answers', 'answers/s', 'p50 ms', 'p99 ms'],
      rows: runs.flatMap((r) => r.modes.map((m) => [runLabel(r), m, r.answers_by_mode[m].ok, r.answers_by_mode[m].per_s, r.answers_by_mode[m].p50_ms, r.answers_by_mode[m].p99_ms])),
    }],
    targets: [
      { name: 'decode-heavy mix answers/s, batching on / off', value: ratio('decode'), target: '>= 2.5x', met: ratio('decode') >= 2.5 },
      { name: 'decode-heavy mix answer p99 (ms), batching on vs off', value: `${decodeOn.answers.p99_ms} vs ${decodeOff.answers.p99_ms}`, target: 'lower with batching', met: (decodeOn.answers.p99_ms ?? Infinity) < (decodeOff.answers.p99_ms ?? 0) },
      { name: 'rag mix answers/s, batching on / off', value: ratio('rag'), target: 'reported', met: null },
      { name: 'decode-heavy mix answers/s, batching on, SPIN_WAIT false / auto and true / auto', value: `${spinRatio('false')}, ${spinRatio('true')}`, target: 'reported', met: null },
      { name: 'errors other than documented 429s, all load runs', value: errors, target: '0', met: errors === 0 },
      { name: 'GET /healthz p99 under mixed load, worst run (ms)', value: healthP99, target: '< 100', met: healthP99 < 100 },
    ],
    notes: [
      `memory at the start of each run: ${runs.map((r) => r.passages_at_start).join(', ')} passages (the answer section's SQuAD paragraphs, plus each earlier run's load documents)`,
      'an error is any non-2xx answer other than a documented 429, or a failed connection; each answer client sends its next request when the previous one returns (after Retry-After on a 429)',
      'ingestion lag: received_at to indexed_at of each posted version, read back after the run (waiting up to 60 s for the last ones)',
      'rag and hybrid answer grounded by default (GROUNDED): the likeliest span of the passages read, scored after one prefill, with no decode steps to batch',
      ...runs.filter((r) => r.errors).map((r) => `error kinds in ${runLabel(r)}: answers ${JSON.stringify(r.answers.error_kinds)}, documents ${JSON.stringify(r.documents.error_kinds)}, healthz ${JSON.stringify(r.healthz.error_kinds)}`),
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
