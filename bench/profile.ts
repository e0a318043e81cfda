import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { createSessions, type Bundle, type ModelName } from '../bundle/index.ts';
import { KvMemoryEncoder, OnnxEncoder } from '../encoder/index.ts';
import { Generator } from '../lm/index.ts';
import { round } from './stats.ts';

interface ProfileEvent {
  cat: string;
  name: string;
  ts: number;
  dur: number;
  args?: { op_name?: string };
}

interface OpTimes {
  /** session.run calls profiled (the first, a warm-up or prefill, is left out). */
  runs: number;
  runUs: number;
  kernelUs: number;
  byOp: Map<string, { us: number; calls: number }>;
}

/**
 * Runs `work` against a fresh session of one bundle model with onnxruntime's profiler on, and sums kernel
 * time per operator type over every session.run after the first.
 */
async function profileSession(bundle: Bundle, model: ModelName, threads: number,
  work: (session: ort.InferenceSession) => Promise<void>): Promise<OpTimes> {
  const spec = bundle.manifest.models[model];
  if (!spec) throw new Error(`bundle ${bundle.dir} has no ${model} model`);
  const dir = mkdtempSync(join(tmpdir(), `mac-${model}-profile-`));
  const { sessions: [session] } = await createSessions(bundle.dir, bundle.manifest, model, [{
    executionProviders: ['cpu'], intraOpNumThreads: threads, graphOptimizationLevel: 'all',
    enableProfiling: true, profileFilePrefix: join(dir, model),
  }]);
  try {
    await work(session);
    session.endProfiling();
    const file = readdirSync(dir).find((f) => f.endsWith('.json'));
    if (!file) throw new Error(`onnxruntime wrote no profile into ${dir}`);
    const events = JSON.parse(readFileSync(join(dir, file), 'utf8')) as ProfileEvent[];
    const runs = events.filter((e) => e.name === 'model_run').sort((a, b) => a.ts - b.ts).slice(1);
    const from = runs[0]?.ts ?? Infinity;
    const byOp = new Map<string, { us: number; calls: number }>();
    for (const e of events) {
      if (e.cat !== 'Node' || !e.name.endsWith('_kernel_time') || e.ts < from || !e.args?.op_name) continue;
      const entry = byOp.get(e.args.op_name) ?? { us: 0, calls: 0 };
      entry.us += e.dur;
      entry.calls += 1;
      byOp.set(e.args.op_name, entry);
    }
    const kernelUs = [...byOp.values()].reduce((s, x) => s + x.us, 0);
    return { runs: runs.length, runUs: runs.reduce((s, r) => s + r.dur, 0), kernelUs, byOp };
  } finally {
    await session.release();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Kernel time per operator type, per `unit` (a generated token, a passage), largest first. */
function opTable(t: OpTimes, units: number) {
  const per = (us: number) => round(us / Math.max(units, 1) / 1000, 3);
  return [...t.byOp.entries()].sort((a, b) => b[1].us - a[1].us).map(([op, x]) => ({
    op, ms: per(x.us), nodes: round(x.calls / Math.max(units, 1), 1), share: round(x.us / Math.max(t.kernelUs, 1), 3),
  }));
}

/**
 * Where a decode step's time goes: one generation on an LM session with onnxruntime's profiler on, the
 * prefill call left out, kernel time per operator type in ms per generated token.
 */
export async function profileDecode(bundle: Bundle, prompt: string, threads: number, newTokens: number) {
  let wallMs = 0;
  const t = await profileSession(bundle, 'lm', threads, async (lm) => {
    const generator = new Generator({ ...bundle, sessions: { ...bundle.sessions, lm } });
    const started = performance.now();
    await generator.generate(prompt, null, { maxNewTokens: newTokens, ignoreStop: true });
    wallMs = performance.now() - started;
  });
  const steps = Math.max(t.runs, 1);
  return {
    decode_steps: t.runs,
    generate_wall_ms: round(wallMs),
    session_run_ms_per_token: round(t.runUs / steps / 1000, 3),
    kernel_ms_per_token: round(t.kernelUs / steps / 1000, 3),
    ops: opTable(t, steps).map((o) => ({ op: o.op, ms_per_token: o.ms, nodes_per_token: o.nodes, share: o.share })),
  };
}

/**
 * Where the encoder's time goes at ingestion: `rounds` (the passages of each worker round) encoded as the
 * worker does, with the encoder session profiled; the first batch is a warm-up and left out. Kernel time
 * per operator type is in ms per passage.
 */
export async function profileEncoder(bundle: Bundle, rounds: string[][], threads: number) {
  const shapes: { rows: number; width: number; tokens: number }[] = [];
  const t = await profileSession(bundle, 'encoder', threads, async (session) => {
    // Record each batch's shape on its way through: how much of the work is padding.
    const recording = Object.create(session) as ort.InferenceSession;
    recording.run = ((feeds: Record<string, ort.Tensor>, ...rest: unknown[]) => {
      const mask = feeds.attention_mask;
      shapes.push({ rows: mask.dims[0], width: mask.dims[1], tokens: (mask.data as BigInt64Array).reduce((n, x) => n + Number(x), 0) });
      return (session.run as (...args: unknown[]) => Promise<ort.InferenceSession.ReturnType>)(feeds, ...rest);
    }) as ort.InferenceSession['run'];
    const encoder = new OnnxEncoder({ ...bundle, sessions: { ...bundle.sessions, encoder: recording } });
    for (const round of rounds) await encoder.encodePassages(round);
  });
  const measured = shapes.slice(1);
  const passages = measured.reduce((n, b) => n + b.rows, 0);
  const tokens = measured.reduce((n, b) => n + b.tokens, 0);
  const padded = measured.reduce((n, b) => n + b.rows * b.width, 0);
  return {
    batches: t.runs,
    passages,
    tokens_per_passage: round(tokens / Math.max(passages, 1), 1),
    padding_share: round(1 - tokens / Math.max(padded, 1), 3),
    ...perPassage(t, passages),
  };
}

/** Session and kernel time, and kernel time per operator type, in ms per passage. */
function perPassage(t: OpTimes, passages: number) {
  const per = (us: number) => round(us / Math.max(passages, 1) / 1000, 3);
  return {
    session_run_ms_per_passage: per(t.runUs),
    kernel_ms_per_passage: per(t.kernelUs),
    ops: opTable(t, passages).map((o) => ({ op: o.op, ms_per_passage: o.ms, nodes_per_passage: o.nodes, share: o.share })),
  };
}

/**
 * Where the memory pass's time goes: `passages` read by the memory encoder (the LM pass whose keys and
 * values become each memory) one at a time, as the worker reads them, on a profiled session; the first
 * pass is a warm-up and left out. Kernel time per operator type is in ms per passage.
 */
export async function profileMemoryEncoder(bundle: Bundle, passages: string[], threads: number) {
  const model = bundle.manifest.models.memory_encoder ? 'memory_encoder' : 'lm';
  let tokens = 0;
  const t = await profileSession(bundle, model, threads, async (session) => {
    const memory = new KvMemoryEncoder({ ...bundle, sessions: { ...bundle.sessions, [model]: session } });
    for (const [i, text] of passages.entries()) {
      if (i > 0) tokens += memory.contextTokens(text).length;
      await memory.encode(text);
    }
  });
  return { model, passages: t.runs, tokens_per_passage: round(tokens / Math.max(t.runs, 1), 1), ...perPassage(t, t.runs) };
}
