import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryConcatenator } from '../aggregator/index.ts';
import { loadBundle, type Bundle } from '../bundle/index.ts';
import { KvMemoryEncoder } from '../encoder/index.ts';
import { buildPrompt, Generator, type Generation } from '../lm/index.ts';
import type { Prefix } from '../aggregator/index.ts';
import * as ort from 'onnxruntime-node';
import { DecodeBatcher } from '../lm/batcher.ts';
import { lmFeeds, pastFeeds, presentsOf } from '../lm/past.ts';
import { TINY_BUNDLE } from './helpers.ts';

// Continuous batching must not change an answer: each sequence stepped in a batch with others (rows of
// different lengths, with and without a memory prefix, joining and leaving at different steps) gets the
// logits it gets alone. The tiny bundle's LM is fp32, so batched and single passes agree to rounding (its
// random weights barely use attention, so its greedy tokens alone would not catch a wrong mask: logits do).
describe('continuous batching of decode steps (tiny bundle)', () => {
  let bundle: Bundle;
  let prefix: Prefix;
  const jobs = [
    { question: 'Who built the tower?', passages: [], memory: false, tokens: 12 },
    { question: 'When was the Eiffel Tower completed, and how tall is it?', passages: ['The Eiffel Tower was completed in 1889. It is 330 metres tall.'], memory: false, tokens: 5 },
    { question: 'What is the capital of France?', passages: [], memory: true, tokens: 9 },
    { question: 'Name a river.', passages: ['The Seine flows through Paris.', 'The Thames flows through London.'], memory: true, tokens: 16 },
  ];

  beforeAll(async () => {
    bundle = await loadBundle(TINY_BUNDLE, { threads: 1 });
    const memory = await new KvMemoryEncoder(bundle).encode('The Eiffel Tower was completed in 1889 for the World Fair in Paris.');
    prefix = new MemoryConcatenator(bundle).concat([memory]);
  });
  afterAll(async () => bundle?.close());

  const promptIds = (job: (typeof jobs)[number]) => bundle.lmTokenizer.encode(buildPrompt(bundle.manifest, job.question, job.passages), false);
  const presents = (out: Record<string, ort.Tensor>) => presentsOf(bundle.manifest, out);

  /** The logits after feeding `fed` to a job's prompt, read without the batcher: one session.run per token on its own cache. */
  async function reference(job: (typeof jobs)[number], fed: number[]): Promise<Float32Array[]> {
    let past = Object.values(pastFeeds(bundle.manifest, job.memory ? prefix : null));
    let position = job.memory ? prefix.length : 0;
    const rows: Float32Array[] = [];
    for (const ids of [promptIds(job), ...fed.map((t) => [t])]) {
      const out = await bundle.sessions.lm.run(lmFeeds(bundle.manifest, ids, past, position));
      position += ids.length;
      past = presents(out);
      if (ids.length === 1) rows.push((out.logits.data as Float32Array).slice());
    }
    return rows;
  }

  it('alone, a sequence steps to exactly the logits of the plain loop (its new keys rotated as the graph rotates them)', async () => {
    const fed = [100, 200, 300, 400, 500, 600];
    for (const job of [jobs[0], jobs[3]]) {
      const batcher = new DecodeBatcher(bundle.sessions.lm, bundle.manifest, bundle.lmRotary!, 1);
      const ids = promptIds(job);
      const start = job.memory ? prefix.length : 0;
      const past = Object.values(pastFeeds(bundle.manifest, job.memory ? prefix : null));
      const seq = batcher.join(presents(await batcher.forward(ids, past, start)), start + ids.length, start + ids.length + fed.length);
      const got: Float32Array[] = [];
      for (const token of fed) got.push((await seq.step(token)).slice());
      seq.leave();
      const want = await reference(job, fed);
      want.forEach((row, k) => expect(maxDiff(got[k], row)).toBe(0));
    }
  });

  it('steps rows of different lengths, joining and leaving between steps, exactly as each alone', async () => {
    const fed = [100, 200, 300, 400];
    const batcher = new DecodeBatcher(bundle.sessions.lm, bundle.manifest, bundle.lmRotary!, 8);
    const prefill = async (job: (typeof jobs)[number]) => {
      const ids = promptIds(job);
      const past = Object.values(pastFeeds(bundle.manifest, job.memory ? prefix : null));
      const length = (job.memory ? prefix.length : 0) + ids.length;
      return batcher.join(presents(await batcher.forward(ids, past, length - ids.length)), length, length + fed.length);
    };
    const got: Float32Array[][] = [[], [], []];
    const [a, b] = await Promise.all([prefill(jobs[0]), prefill(jobs[3])]);
    for (const [k, token] of fed.entries()) {
      if (k === 2) b.leave(); // b stops after two steps
      const c = k === 2 ? await prefill(jobs[1]) : null; // c joins at the third
      const steps = [a.step(token), k < 2 ? b.step(token) : null, c?.step(token) ?? null];
      (await Promise.all(steps)).forEach((row, i) => row && got[i].push(row.slice()));
      if (c) {
        got[2].push((await c.step(fed[3])).slice());
        c.leave();
      }
    }
    a.leave();
    const want = [await reference(jobs[0], fed), (await reference(jobs[3], fed)).slice(0, 2), await reference(jobs[1], fed.slice(2))];
    want.forEach((rows, i) => {
      expect(got[i]).toHaveLength(rows.length);
      rows.forEach((row, k) => expect(maxDiff(got[i][k], row)).toBeLessThan(1e-4));
    });
    expect(batcher.stats.steps).toBeLessThan(batcher.stats.rowsStepped);
  });

  const run = (generator: Generator, job: (typeof jobs)[number], signal?: AbortSignal): Promise<Generation> =>
    generator.generate(buildPrompt(bundle.manifest, job.question, job.passages), job.memory ? prefix : null, { maxNewTokens: job.tokens, ignoreStop: true, signal });

  it('gives each generation the tokens it gets alone, in fewer passes', async () => {
    const alone: Generation[] = [];
    const single = new Generator(bundle, { maxBatch: 1 });
    for (const job of jobs) alone.push(await run(single, job));

    const generator = new Generator(bundle, { maxBatch: 8 });
    const together = await Promise.all(jobs.map((job) => run(generator, job)));
    together.forEach((g, i) => {
      expect(g.tokens).toEqual(alone[i].tokens);
      expect(g.tokens).toHaveLength(jobs[i].tokens);
      expect(Math.abs(g.meanTokenProb - alone[i].meanTokenProb)).toBeLessThan(1e-4);
    });
    const { steps, rowsStepped } = generator.batchStats;
    expect(rowsStepped).toBe(jobs.reduce((s, j) => s + j.tokens - 1, 0)); // the first token comes from the prompt's pass
    expect(steps).toBeLessThan(rowsStepped); // batched: at most the longest answer's steps plus joins
  });

  it('with batching off (maxBatch 1), concurrent generations step one row at a time and still agree', async () => {
    const generator = new Generator(bundle, { maxBatch: 1 });
    const together = await Promise.all(jobs.map((job) => run(generator, job)));
    const alone = await run(new Generator(bundle, { maxBatch: 1 }), jobs[3]);
    expect(together[3].tokens).toEqual(alone.tokens);
    expect(generator.batchStats.steps).toBe(generator.batchStats.rowsStepped);
  });

  it('a generation cancelled mid-answer leaves the batch; the others finish unchanged', async () => {
    const alone = await run(new Generator(bundle, { maxBatch: 1 }), jobs[3]);
    const generator = new Generator(bundle, { maxBatch: 8 });
    const cancel = new AbortController();
    const cancelled = generator.generate(buildPrompt(bundle.manifest, jobs[0].question), null, {
      maxNewTokens: 30, ignoreStop: true, signal: cancel.signal, onText: () => cancel.abort(),
    });
    const [stopped, finished] = await Promise.all([cancelled, run(generator, jobs[3])]);
    expect(stopped.tokens.length).toBeLessThan(30);
    expect(finished.tokens).toEqual(alone.tokens);
  });
});

function maxDiff(a: Float32Array, b: Float32Array): number {
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
  return d;
}
