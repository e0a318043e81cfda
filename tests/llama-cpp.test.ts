import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryConcatenator } from '../aggregator/index.ts';
import { int64, loadBundle, release, type Bundle } from '../bundle/index.ts';
import { KvMemoryEncoder } from '../encoder/index.ts';
import { buildPrompt, Generator, pastFeeds } from '../lm/index.ts';
import { LlamaCppGenerator } from '../lm/llama-cpp/generator.ts';
import { bundleGguf, nodeLlamaCpp } from '../lm/llama-cpp/runtime.ts';
import { fromHalf, readState, toHalf, writeState } from '../lm/llama-cpp/state.ts';
import { DEFAULT_BUNDLE } from './helpers.ts';

// A fixed set: each passage's memory must steer llama.cpp to the ONNX LM's greedy answer.
const CASES = [
  { passage: 'Marta Silva was the first director of the Harbor Library in Porto Vale, which opened in 1921.', question: 'Who was the first director of the Harbor Library?' },
  { passage: 'The Zephyr bridge over the river Lune was finished in 1887 by the engineer Tomas Brandt.', question: 'Who built the Zephyr bridge?' },
  { passage: 'Keldor is a small island nation whose capital, Arnhavn, sits on the northern coast.', question: 'What is the capital of Keldor?' },
];

describe('f16 conversion', () => {
  it('round-trips every finite half and rounds to nearest even', () => {
    for (let h = 0; h < 0x10000; h++) if ((h & 0x7c00) !== 0x7c00) expect(toHalf(fromHalf(h))).toBe(h);
    expect(toHalf(1 + 2 ** -11)).toBe(0x3c00); // halfway: to even
    expect(toHalf(1 + 3 * 2 ** -11)).toBe(0x3c02);
    expect(toHalf(65520)).toBe(0x7c00);
  });
});

describe('the memory prefix on llama.cpp (default bundle, its GGUF)', () => {
  let bundle: Bundle;
  let llama: any;
  let model: any;
  const dir = mkdtempSync(join(tmpdir(), 'mac-llama-test-'));
  beforeAll(async () => {
    bundle = await loadBundle(DEFAULT_BUNDLE, { threads: 1, lmSpinWait: false });
    const { getLlama } = await nodeLlamaCpp();
    llama = await getLlama({ gpu: false, build: 'never', logLevel: 'warn', progressLogs: false });
    model = await llama.loadModel({ modelPath: await bundleGguf(bundle.dir, bundle.manifest), gpuLayers: 0 });
  });
  afterAll(async () => {
    await llama?.dispose();
    await bundle?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** llama.cpp's own state after reading `ids` in a context of `sequences` sequences. */
  async function llamaState(ids: number[], sequences: number, flashAttention: boolean): Promise<Uint8Array> {
    const context = await model.createContext({ contextSize: 256, sequences, threads: 1, flashAttention });
    try {
      const sequence = context.getSequence();
      await sequence.evaluateWithoutGeneratingNewTokens(ids);
      await sequence.saveStateToFile(join(dir, 'state.bin'));
      return readFileSync(join(dir, 'state.bin'));
    } finally {
      await context.dispose();
    }
  }

  const dims = () => ({ heads: bundle.manifest.dims.lm_kv_heads, headDim: bundle.manifest.dims.lm_head_dim });

  it.each([[1, false], [4, false], [1, true]] as const)('writes back the state llama.cpp wrote, byte for byte (%i sequences, flash attention %s)', async (sequences, flash) => {
    const ids = bundle.lmTokenizer.encode(buildPrompt(bundle.manifest, CASES[0].question), false);
    const file = await llamaState(ids, sequences, flash);
    const state = readState(file, dims());
    expect(state.tokens).toEqual(ids);
    expect(state.positions).toEqual(ids.map((_, i) => i));
    expect(state.layout.streams).toBe(sequences);
    const written = writeState(state, dims(), state.layout);
    const header = 4 * (3 + ids.length); // the token list: ours names no text
    expect(Buffer.from(written.subarray(header)).equals(Buffer.from(file.subarray(header)))).toBe(true);
  });

  it("reads llama.cpp's keys and values as the ONNX LM's present (GGUF rotary order undone)", async () => {
    const ids = bundle.lmTokenizer.encode(buildPrompt(bundle.manifest, CASES[1].question), false);
    const state = readState(await llamaState(ids, 1, false), dims());
    const n = ids.length;
    const out = await bundle.sessions.lm.run({
      input_ids: int64(ids, [1, n]), attention_mask: int64(new Array(n).fill(1), [1, n]), position_ids: int64(ids.map((_, i) => i), [1, n]),
      ...pastFeeds(bundle.manifest, null),
    });
    for (const l of [0, 14, 29]) {
      expect(cosine(state.keys[l], out[`present.${l}.key`].data as Float32Array)).toBeGreaterThan(0.99);
      expect(cosine(state.values[l], out[`present.${l}.value`].data as Float32Array)).toBeGreaterThan(0.99);
    }
    release(...Object.values(out));
  });

  it('a memory prefix changes llama.cpp greedy answers as it changes the ONNX LM ones (same tokens on a fixed set)', async () => {
    const encoder = new KvMemoryEncoder(bundle);
    const concat = new MemoryConcatenator(bundle);
    const onnx = new Generator(bundle);
    const fast = await LlamaCppGenerator.start(bundle, { sequences: 2, maxPrefix: bundle.manifest.memory.slots, threads: 1 });
    try {
      for (const [i, c] of CASES.entries()) {
        const prefix = concat.concat([await encoder.encode(c.passage)]);
        const prompt = buildPrompt(bundle.manifest, c.question);
        const options = { maxNewTokens: 8, prefixId: `case-${i}` };
        const [a, b, none] = [await onnx.generate(prompt, prefix, options), await fast.generate(prompt, prefix, options), await fast.generate(prompt, null, { maxNewTokens: 8 })];
        expect(b.tokens).toEqual(a.tokens);
        expect(Math.abs(b.meanTokenProb - a.meanTokenProb)).toBeLessThan(0.05);
        expect(none.tokens).not.toEqual(b.tokens);
        // the same prompt after the same prefix again: served from the sequence's cache, same answer
        const again = await fast.generate(prompt, prefix, options);
        expect(again.cachedTokens).toBe(b.promptTokens - 1);
        expect(again.tokens).toEqual(b.tokens);
        for (const t of [...prefix.keys, ...prefix.values]) t.dispose?.();
      }
    } finally {
      await fast.close();
    }
  });
});

function cosine(a: Float32Array, b: Float32Array): number {
  let ab = 0, aa = 0, bb = 0;
  for (let i = 0; i < a.length; i++) { ab += a[i] * b[i]; aa += a[i] * a[i]; bb += b[i] * b[i]; }
  return ab / Math.sqrt(aa * bb);
}
