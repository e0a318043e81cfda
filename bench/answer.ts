import { tokenF1 } from '../monitor/index.ts';
import { note } from './progress.ts';
import type { Section } from './report.ts';
import type { BenchService, IngestRun } from './service.ts';
import type { SquadQuestion } from './squad.ts';
import { mean, median, percentile, round } from './stats.ts';

const MODES = [
  { mode: 'mac', request: {} },
  { mode: 'rag', request: {} },
  { mode: 'hybrid', request: {} },
  { mode: 'base', request: {} },
] as const;
const MAX_TOKENS = 16;

interface ModeSamples {
  serverTotalMs: number[];
  clientMs: number[];
  firstTokenMs: number[];
  /** The reader's pass (timings_ms.verify): over a grounded answer's passages, its proposals and check; over a free-text answer's passage, its check. */
  verifyMs: number[];
  promptTokens: number[];
  completionTokens: number[];
  f1: number[];
  abstained: number;
  errors: string[];
}

/** Latency and cost of each answer mode over the same questions, asked one at a time. */
export async function runAnswer(svc: BenchService, questions: SquadQuestion[], setup: IngestRun): Promise<Section> {
  const samples = Object.fromEntries(MODES.map(({ mode }) => [mode, {
    serverTotalMs: [], clientMs: [], firstTokenMs: [], verifyMs: [], promptTokens: [], completionTokens: [], f1: [], abstained: 0, errors: [],
  } as ModeSamples]));
  // The first run of each ONNX session pays for allocation and kernel choice; no caller waits on that twice.
  for (const { mode, request } of MODES) await svc.api.post('/v1/answers', { question: questions[0].question, mode, max_tokens: MAX_TOKENS, ...request });
  for (const [i, q] of questions.entries()) {
    // Modes interleave per question so a slow patch of the machine (other jobs) hits all of them alike.
    for (const { mode, request } of MODES) {
      const res = await svc.api.post('/v1/answers', { question: q.question, mode, max_tokens: MAX_TOKENS, ...request });
      const s = samples[mode];
      if (res.status !== 200) {
        s.errors.push(`${res.status} ${JSON.stringify(res.body).slice(0, 200)}`);
        continue;
      }
      const b = res.body;
      s.serverTotalMs.push(b.timings_ms.total);
      s.clientMs.push(res.ms);
      s.firstTokenMs.push(b.timings_ms.first_token);
      if (b.reader_agreement !== null) s.verifyMs.push(b.timings_ms.verify);
      s.promptTokens.push(b.usage.prompt_tokens);
      s.completionTokens.push(b.usage.completion_tokens);
      s.f1.push(Math.max(...q.answers.map((a) => tokenF1(b.answer ?? '', a))));
      if (b.abstained) s.abstained++;
    }
    if ((i + 1) % 10 === 0 || i + 1 === questions.length) note(`answer: ${i + 1}/${questions.length} questions x ${MODES.length} modes`);
  }

  const modes = Object.fromEntries(MODES.map(({ mode }) => {
    const s = samples[mode];
    return [mode, {
      n: s.serverTotalMs.length, errors: s.errors.length, abstained: s.abstained,
      server_total_ms: { p50: round(median(s.serverTotalMs)), p95: round(percentile(s.serverTotalMs, 0.95)) },
      client_ms: { p50: round(median(s.clientMs)), p95: round(percentile(s.clientMs, 0.95)) },
      first_token_ms_p50: round(median(s.firstTokenMs)), verify_ms_p50: s.verifyMs.length ? round(median(s.verifyMs)) : null,
      prompt_tokens_mean: round(mean(s.promptTokens)), completion_tokens_mean: round(mean(s.completionTokens)),
      f1_mean: round(mean(s.f1)), first_errors: s.errors.slice(0, 3),
    }];
  }));
  const ratio = (a: number | null, b: number | null) => (a !== null && b ? round(a / b) : null);
  const macOverRag = ratio(modes.mac.server_total_ms.p50, modes.rag.server_total_ms.p50);
  const macOverRagClient = ratio(modes.mac.client_ms.p50, modes.rag.client_ms.p50);
  return {
    name: 'answer',
    data: {
      questions: questions.length, max_tokens: MAX_TOKENS,
      memory: { documents: setup.documents, indexed: setup.indexed, failed: setup.failed, passages: setup.passages, ingest_seconds: round(setup.endToEndSeconds) },
      modes, mac_over_rag_p50: macOverRag, mac_over_rag_client_p50: macOverRagClient,
    },
    tables: [{
      title: `${questions.length} SQuAD questions per mode, max_tokens ${MAX_TOKENS}, sequential (ms)`,
      columns: ['mode', 'n', 'server p50', 'server p95', 'client p50', 'client p95', 'first token p50', 'reader check p50', 'prompt tokens', 'completion tokens', 'F1', 'abstained', 'errors'],
      rows: MODES.map(({ mode }) => {
        const m = modes[mode];
        return [mode, m.n, m.server_total_ms.p50, m.server_total_ms.p95, m.client_ms.p50, m.client_ms.p95, m.first_token_ms_p50, m.verify_ms_p50 ?? '–',
          m.prompt_tokens_mean, m.completion_tokens_mean, m.f1_mean, m.abstained, m.errors];
      }),
    }],
    targets: [{ name: 'mac / rag median server latency', value: macOverRag, target: '<= 0.5', met: macOverRag === null ? null : macOverRag <= 0.5 }],
    notes: [
      `memory: ${setup.indexed} SQuAD paragraphs (${setup.passages} passages, ${setup.failed} failed) ingested in ${setup.endToEndSeconds.toFixed(1)} s before the questions`,
      'server = timings_ms.total in the response; client = wall time of the HTTP call on loopback, body included',
      `mac / rag median by client wall time: ${macOverRagClient ?? '–'}`,
      'every mode at the service defaults (MAC_TOP_K, RAG_TOP_K: up to 24f2f46 rag asked for top_k 3); one unmeasured warm-up call per mode',
      'F1 is SQuAD token F1 against the best of the gold answers',
    ],
  };
}
