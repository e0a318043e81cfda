import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryConcatenator } from '../aggregator/index.ts';
import { loadBundle, type Bundle } from '../bundle/index.ts';
import { KvMemoryEncoder, OnnxEncoder } from '../encoder/index.ts';
import { buildPrompt, Generator } from '../lm/index.ts';
import { TINY_BUNDLE } from './helpers.ts';

interface Fixtures {
  passages: string[];
  question: string;
  passage_embedding: number[][];
  question_embedding: number[][];
  context_prompt_ids: number[];
  context_greedy_tokens: number[];
}

const maxDiff = (a: ArrayLike<number>, b: number[]) => Math.max(...b.map((v, i) => Math.abs(a[i] - v)));

// The TypeScript runtime against outputs saved by the PyTorch side at export (bundle/parity.json).
describe('runtime parity with PyTorch (tiny bundle)', () => {
  let bundle: Bundle;
  let fx: Fixtures;
  beforeAll(async () => {
    bundle = await loadBundle(TINY_BUNDLE, { threads: 1 });
    fx = JSON.parse(readFileSync(join(TINY_BUNDLE, 'parity.json'), 'utf8'));
  });
  afterAll(() => bundle?.close());

  it('embeds passages and questions like PyTorch', async () => {
    const encoder = new OnnxEncoder(bundle);
    const passages = await encoder.encodePassages(fx.passages);
    passages.forEach((p, i) => expect(maxDiff(p.embedding, fx.passage_embedding[i])).toBeLessThan(1e-4));
    const q = await encoder.encodeQuestion(fx.question);
    expect(maxDiff(q.embedding, fx.question_embedding[0])).toBeLessThan(1e-4);
  });

  it('builds the same prompt and, with the passage in it, generates the same greedy tokens', async () => {
    const generator = new Generator(bundle);
    const prompt = buildPrompt(bundle.manifest, fx.question, fx.passages.slice(0, 1));
    expect(generator.promptTokens(prompt)).toEqual(fx.context_prompt_ids);
    const gen = await generator.generate(prompt, null, { maxNewTokens: 8 });
    expect(gen.tokens).toEqual(fx.context_greedy_tokens);
  });

  it('a memory keeping every position generates what PyTorch generates with the passage in the prompt', async () => {
    const full: Bundle = { ...bundle, manifest: { ...bundle.manifest, memory: { ...bundle.manifest.memory, slots: 100_000 } } };
    const prefix = new MemoryConcatenator(full).concat([await new KvMemoryEncoder(full).encode(fx.passages[0])]);
    const gen = await new Generator(full).generate(buildPrompt(full.manifest, fx.question), prefix, { maxNewTokens: 8 });
    expect(gen.tokens).toEqual(fx.context_greedy_tokens);
  });
});
