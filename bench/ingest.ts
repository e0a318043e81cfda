import { loadBundle } from '../bundle/index.ts';
import { OnnxEncoder, splitForEncoder } from '../encoder/index.ts';
import { readConfig } from '../server/index.ts';
import { profileEncoder, profileMemoryEncoder } from './profile.ts';
import type { Section } from './report.ts';
import { ingestAll, startBenchService, type Api } from './service.ts';
import { toDocument, type SquadParagraph } from './squad.ts';
import { median, percentile, round } from './stats.ts';

const BATCH = 50;
// Jobs the worker claims per round, as the bench's service runs it (the default).
const WORKER_BATCH = readConfig({}).WORKER_BATCH;
const STAGES = ['split', 'encode', 'store', 'index'] as const;
// Passages whose memory pass is profiled (the first is a warm-up): enough for stable shares, ~30 s.
const MEMORY_PROFILE_PASSAGES = 49;

/** The worker's cumulative seconds per stage, from the service's own Prometheus metrics. */
async function stageSeconds(client: Api): Promise<Record<string, number>> {
  const { body } = await client.get('/metrics');
  const result: Record<string, number> = {};
  for (const m of String(body).matchAll(/^mac_ingest_stage_seconds_total\{stage="(\w+)"\} ([\d.e+-]+)$/gm)) result[m[1]] = Number(m[2]);
  return result;
}

/** A profile's eight costliest operators, as a report table's columns and rows. */
const topOperators = (ops: Awaited<ReturnType<typeof profileEncoder>>['ops']) => ({
  columns: ['operator', 'ms per passage', 'nodes per passage', 'share of kernel time'],
  rows: ops.slice(0, 8).map((o) => [o.op, o.ms_per_passage, o.nodes_per_passage, o.share]),
});

/** The passages of each worker round, split as the worker splits documents. */
async function workerRounds(bundleDir: string, texts: string[], threads: number) {
  const bundle = await loadBundle(bundleDir, { threads, verifyHashes: false });
  const encoder = new OnnxEncoder(bundle);
  const rounds: string[][] = [];
  for (let i = 0; i < texts.length; i += WORKER_BATCH) {
    rounds.push(texts.slice(i, i + WORKER_BATCH).flatMap((t) => splitForEncoder(t, encoder)));
  }
  return { bundle, rounds };
}

/** End-to-end ingestion into an empty memory: webhook, queue, sentence encoder + the LM pass that makes each memory, SQLite, hnswlib. */
export async function runIngest(bundleDir: string, paragraphs: SquadParagraph[], threads: number): Promise<Section> {
  const svc = await startBenchService(bundleDir);
  let run, stages;
  try {
    run = await ingestAll(svc.api, paragraphs.map(toDocument), BATCH, 'ingest');
    stages = await stageSeconds(svc.api);
  } finally {
    await svc.close();
  }
  const { bundle, rounds } = await workerRounds(bundleDir, paragraphs.map((p) => p.context), threads);
  let profile, memoryProfile;
  try {
    profile = await profileEncoder(bundle, rounds, threads);
    memoryProfile = await profileMemoryEncoder(bundle, rounds.flat().slice(0, MEMORY_PROFILE_PASSAGES), threads);
  } finally {
    await bundle.close();
  }
  const perSecond = (n: number) => round(n / Math.max(run.endToEndSeconds, 1e-9), 2);
  const paragraphsPerS = perSecond(run.indexed);
  const stageShare = (stage: string) => round((stages[stage] ?? 0) / Math.max(run.endToEndSeconds, 1e-9), 3);
  const data = {
    paragraphs: run.documents, batch: BATCH, indexed: run.indexed, failed: run.failed, passages: run.passages,
    end_to_end_seconds: round(run.endToEndSeconds), post_seconds: round(run.postSeconds),
    paragraphs_per_s: paragraphsPerS, passages_per_s: perSecond(run.passages),
    acknowledged_per_s: round(run.documents / Math.max(run.postSeconds, 1e-9), 1),
    post_latency_ms: { p50: round(median(run.postLatencyMs)), p95: round(percentile(run.postLatencyMs, 0.95)) },
    received_to_indexed_s: run.receivedToIndexedS,
    worker_stage_seconds: Object.fromEntries(STAGES.map((st) => [st, round(stages[st] ?? 0)])),
    encoder_profile: profile,
    memory_encoder_profile: memoryProfile,
  };
  return {
    name: 'ingest',
    data,
    tables: [{
      title: `${run.documents} SQuAD paragraphs, POST /v1/documents in batches of ${BATCH}, fresh DATA_DIR`,
      columns: ['paragraphs', 'passages', 'failed', 'end to end s', 'paragraphs/s', 'passages/s', 'acknowledged/s', 'POST p50 ms', 'POST p95 ms', 'received→indexed p50 s', 'p99 s'],
      rows: [[run.indexed, run.passages, run.failed, data.end_to_end_seconds, paragraphsPerS, data.passages_per_s, data.acknowledged_per_s,
        data.post_latency_ms.p50, data.post_latency_ms.p95, run.receivedToIndexedS.p50, run.receivedToIndexedS.p99]],
    }, {
      title: 'Where the worker spent the end-to-end time (mac_ingest_stage_seconds_total)',
      columns: ['stage', 'seconds', 'share of end to end'],
      rows: STAGES.map((st) => [st, data.worker_stage_seconds[st], stageShare(st)]),
    }, {
      title: `Profile of the sentence encoder (the embedding) over the same passages in worker rounds of ${WORKER_BATCH} documents (onnxruntime profiler, ${profile.batches} batches): `
        + `${profile.session_run_ms_per_passage} ms per passage in session.run, ${profile.kernel_ms_per_passage} ms in kernels; `
        + `${profile.tokens_per_passage} tokens per passage, ${round((profile.padding_share ?? 0) * 100, 1)}% of the batch positions padding`,
      ...topOperators(profile.ops),
    }, {
      title: `Profile of the memory pass (${memoryProfile.model}: the LM reading a passage, whose keys and values become its memory) over the first ${memoryProfile.passages} of those passages, one at a time: `
        + `${memoryProfile.session_run_ms_per_passage} ms per passage in session.run, ${memoryProfile.kernel_ms_per_passage} ms in kernels; ${memoryProfile.tokens_per_passage} tokens per passage`,
      ...topOperators(memoryProfile.ops),
    }],
    targets: [{ name: 'ingestion paragraphs/s', value: paragraphsPerS, target: '>= 5', met: paragraphsPerS === null ? null : paragraphsPerS >= 5 }],
    notes: [
      'end to end: from the first POST to the last version indexed (server timestamp), so it includes queueing, encoding, SQLite and hnswlib',
      'acknowledged/s: documents per second of POSTs answered 202 (durably queued), before encoding finishes',
      'stages: split = passage splitting and token counting, encode = sentence-encoder and LM forward passes (embedding and memory), store = SQLite transaction, index = hnswlib; the rest of end to end is the worker waiting for work or for the event loop',
      'The two profiles are separate passes with profiling on, after the service stopped; they show where the time goes, not the speed. The sentence encoder makes the embedding, the memory pass the memory; encode above is both.',
    ],
  };
}
