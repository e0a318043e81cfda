import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import type { Bundle } from '../bundle/index.ts';
import { Generator } from '../lm/index.ts';
import { round } from './stats.ts';

interface ProfileEvent {
  cat: string;
  name: string;
  ts: number;
  dur: number;
  args?: { op_name?: string };
}

/**
 * Where a decode step's time goes: one generation on an LM session with onnxruntime's profiler on, the
 * prefill call left out, kernel time per operator type in ms per generated token.
 */
export async function profileDecode(bundle: Bundle, prompt: string, threads: number, newTokens: number) {
  const dir = mkdtempSync(join(tmpdir(), 'mac-decode-profile-'));
  const lm = await ort.InferenceSession.create(join(bundle.dir, bundle.manifest.models.lm.file), {
    executionProviders: ['cpu'], intraOpNumThreads: threads, graphOptimizationLevel: 'all',
    enableProfiling: true, profileFilePrefix: join(dir, 'lm'),
  });
  try {
    const generator = new Generator({ ...bundle, sessions: { ...bundle.sessions, lm } });
    const started = performance.now();
    await generator.generate(prompt, null, { maxNewTokens: newTokens, ignoreStop: true });
    const wallMs = performance.now() - started;
    lm.endProfiling();
    const file = readdirSync(dir).find((f) => f.endsWith('.json'));
    if (!file) throw new Error(`onnxruntime wrote no profile into ${dir}`);
    const events = JSON.parse(readFileSync(join(dir, file), 'utf8')) as ProfileEvent[];
    const runs = events.filter((e) => e.name === 'model_run').sort((a, b) => a.ts - b.ts);
    const decodeRuns = runs.slice(1);
    const from = decodeRuns[0]?.ts ?? Infinity;
    const byOp = new Map<string, { us: number; calls: number }>();
    for (const e of events) {
      if (e.cat !== 'Node' || !e.name.endsWith('_kernel_time') || e.ts < from || !e.args?.op_name) continue;
      const entry = byOp.get(e.args.op_name) ?? { us: 0, calls: 0 };
      entry.us += e.dur;
      entry.calls += 1;
      byOp.set(e.args.op_name, entry);
    }
    const steps = Math.max(decodeRuns.length, 1);
    const perToken = (us: number) => round(us / steps / 1000, 3);
    const kernelUs = [...byOp.values()].reduce((s, x) => s + x.us, 0);
    const runUs = decodeRuns.reduce((s, r) => s + r.dur, 0);
    return {
      decode_steps: decodeRuns.length,
      generate_wall_ms: round(wallMs),
      session_run_ms_per_token: perToken(runUs),
      kernel_ms_per_token: perToken(kernelUs),
      ops: [...byOp.entries()].sort((a, b) => b[1].us - a[1].us).map(([op, x]) => ({
        op, ms_per_token: perToken(x.us), nodes_per_token: round(x.calls / steps, 1), share: round(x.us / Math.max(kernelUs, 1), 3),
      })),
    };
  } finally {
    await lm.release();
    rmSync(dir, { recursive: true, force: true });
  }
}
