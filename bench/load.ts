import { note } from './progress.ts';
import type { Section } from './report.ts';
import type { BenchService, Timed } from './service.ts';
import type { SquadQuestion } from './squad.ts';
import { percentile, round } from './stats.ts';

const ANSWER_CLIENTS = 4;
const INGEST_CLIENTS = 1;
const MAX_TOKENS = 8;
const TOPICS = ['river', 'bridge', 'festival', 'election', 'museum', 'satellite', 'harbour', 'orchestra'];

interface ClientLog {
  latencyMs: number[];
  serverMs: number[];
  errors: Map<string, number>;
}

/** Mixed traffic on the answer section's memory: concurrent mac answers while new documents keep arriving. */
export async function runLoad(svc: BenchService, questions: SquadQuestion[], seconds: number): Promise<Section> {
  const before = (await svc.api.get('/v1/freshness')).body;
  const answers: ClientLog = { latencyMs: [], serverMs: [], errors: new Map() };
  const ingest: ClientLog = { latencyMs: [], serverMs: [], errors: new Map() };
  const started = performance.now();
  const deadline = started + seconds * 1000;
  const runId = Date.now().toString(36);
  let asked = 0;
  let posted = 0;
  const ticker = setInterval(() => note(`load: ${answers.latencyMs.length} answers, ${ingest.latencyMs.length} documents posted`), 10_000);

  // A request in flight at the deadline still finishes and counts; elapsed time runs to the last one.
  const answerClient = async () => {
    while (performance.now() < deadline) {
      const q = questions[asked++ % questions.length];
      record(answers, await attempt(() => svc.api.post('/v1/answers', { question: q.question, mode: 'mac', max_tokens: MAX_TOKENS })), (b) => b.timings_ms.total);
    }
  };
  const ingestClient = async () => {
    while (performance.now() < deadline) {
      const i = posted++;
      const topic = TOPICS[i % TOPICS.length];
      const doc = {
        id: `load-${runId}-${i}`, title: `Load note ${i}`, source: 'bench-load',
        text: `Bulletin ${i} about the ${topic}: the ${topic} committee met on day ${i % 28 + 1} and approved item ${i * 7 % 1000}. Attendance was ${100 + (i * 37) % 900}.`,
      };
      record(ingest, await attempt(() => svc.api.post('/v1/documents', doc)));
    }
  };
  try {
    await Promise.all([...Array.from({ length: ANSWER_CLIENTS }, answerClient), ...Array.from({ length: INGEST_CLIENTS }, ingestClient)]);
  } finally {
    clearInterval(ticker);
  }
  const elapsed = (performance.now() - started) / 1000;
  const after = (await svc.api.get('/v1/freshness')).body;

  const summary = (log: ClientLog) => ({
    ok: log.latencyMs.length, per_s: round(log.latencyMs.length / elapsed, 2),
    p50_ms: round(percentile(log.latencyMs, 0.5)), p99_ms: round(percentile(log.latencyMs, 0.99)),
    errors: [...log.errors.values()].reduce((a, b) => a + b, 0), error_kinds: Object.fromEntries(log.errors),
  });
  const a = summary(answers);
  const d = summary(ingest);
  const indexedDuring = after.documents.indexed - before.documents.indexed;
  const data = {
    seconds, elapsed_seconds: round(elapsed), answer_clients: ANSWER_CLIENTS, ingest_clients: INGEST_CLIENTS, max_tokens: MAX_TOKENS,
    answers: { ...a, server_p50_ms: round(percentile(answers.serverMs, 0.5)), server_p99_ms: round(percentile(answers.serverMs, 0.99)) },
    documents: { ...d, indexed_during_run: indexedDuring, indexed_per_s: round(indexedDuring / elapsed, 2), queue_depth_after: after.queue.depth },
    errors: a.errors + d.errors,
  };
  return {
    name: 'load',
    data,
    tables: [{
      title: `${seconds} s on loopback: ${ANSWER_CLIENTS} answer clients (mac, max_tokens ${MAX_TOKENS}) + ${INGEST_CLIENTS} ingestion client, each sequential`,
      columns: ['traffic', 'ok', 'per s', 'p50 ms', 'p99 ms', 'errors'],
      rows: [
        ['answers (client wall)', a.ok, a.per_s, a.p50_ms, a.p99_ms, a.errors],
        ['answers (server total)', answers.serverMs.length, null, data.answers.server_p50_ms, data.answers.server_p99_ms, null],
        ['documents posted (202)', d.ok, d.per_s, d.p50_ms, d.p99_ms, d.errors],
        ['documents indexed', indexedDuring, data.documents.indexed_per_s, null, null, null],
      ],
    }],
    targets: [],
    notes: [
      `memory at the start: ${before.documents.indexed} documents, ${before.passages} passages (the answer section's); ingestion queue left at the end: ${after.queue.depth}`,
      'an error is any non-2xx answer or a failed connection; each client sends its next request when the previous one returns',
      ...(a.errors + d.errors ? [`error kinds: answers ${JSON.stringify(a.error_kinds)}, documents ${JSON.stringify(d.error_kinds)}`] : []),
    ],
  };
}

async function attempt(call: () => Promise<Timed>): Promise<Timed | Error> {
  try {
    return await call();
  } catch (err) {
    return err as Error;
  }
}

function record(log: ClientLog, res: Timed | Error, serverMs?: (body: any) => number) {
  if (res instanceof Error) return bump(log, `network: ${res.message}`);
  if (res.status < 200 || res.status >= 300) return bump(log, `${res.status} ${res.body?.error?.code ?? ''}`.trim());
  log.latencyMs.push(res.ms);
  if (serverMs) log.serverMs.push(serverMs(res.body));
}

const bump = (log: ClientLog, kind: string) => log.errors.set(kind, (log.errors.get(kind) ?? 0) + 1);
