import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OnnxAggregator } from '../aggregator/index.ts';
import { loadBundle, type Bundle } from '../bundle/index.ts';
import { OnnxEncoder } from '../encoder/index.ts';
import { buildPrompt, Generator } from '../lm/index.ts';
import { TINY_BUNDLE } from './helpers.ts';

interface Fixtures {
  passages: string[];
  question: string;
  passage_embedding: number[][];
  question_embedding: number[][];
  modulation: number[][][];
  fused: number[][][];
  memory_weights: number[][];
  prompt_ids: number[];
  greedy_tokens: number[];
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

  it('encodes passages and questions like PyTorch', async () => {
    const encoder = new OnnxEncoder(bundle);
    const passages = await encoder.encodePassages(fx.passages);
    passages.forEach((p, i) => {
      expect(maxDiff(p.embedding, fx.passage_embedding[i])).toBeLessThan(1e-4);
      expect(maxDiff(p.modulation, fx.modulation[i].flat())).toBeLessThan(1e-4);
    });
    const q = await encoder.encodeQuestion(fx.question);
    expect(maxDiff(q.embedding, fx.question_embedding[0])).toBeLessThan(1e-4);
  });

  it('aggregates and generates the same greedy tokens', async () => {
    const encoder = new OnnxEncoder(bundle);
    const passages = await encoder.encodePassages(fx.passages);
    const q = await encoder.encodeQuestion(fx.question);
    const agg = await new OnnxAggregator(bundle).aggregate(q, passages.map((p) => p.modulation));
    expect(maxDiff(agg.weights, fx.memory_weights[0])).toBeLessThan(1e-4);
    const generator = new Generator(bundle);
    const prompt = buildPrompt(bundle.manifest, fx.question);
    expect(generator.promptTokens(prompt)).toEqual(fx.prompt_ids);
    const gen = await generator.generate(prompt, agg.prefix, { maxNewTokens: 8 });
    expect(gen.tokens).toEqual(fx.greedy_tokens);
  });
});
