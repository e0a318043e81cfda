import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as ort from 'onnxruntime-node';
import { MemoryConcatenator } from '../aggregator/index.ts';
import { loadBundle, type Bundle, type Manifest } from '../bundle/index.ts';
import { KvMemoryEncoder } from '../encoder/index.ts';
import { buildPrompt, Generator } from '../lm/index.ts';
import { lmFeeds, pastFeeds, presentsOf } from '../lm/past.ts';
import { PromptCache } from '../lm/prompt-cache.ts';
import type { Prefix } from '../aggregator/index.ts';
import { TINY_BUNDLE } from './helpers.ts';

const H = 2;
const D = 3;
const manifest = { dims: { lm_layers: 1, lm_kv_heads: H, lm_head_dim: D } } as Manifest;
/** A fake pass's cache over `positions`: value at (h, t, d) = 1000 h + 10 t + d, so a slice shows where it came from. */
const present = (positions: number) =>
  [0, 1].map(() => new ort.Tensor('float32', Float32Array.from({ length: H * positions * D }, (_, i) => 1000 * Math.floor(i / (positions * D)) + 10 * Math.floor((i % (positions * D)) / D) + (i % D)), [1, H, positions, D]));
const ids = (n: number, from = 0) => Array.from({ length: n }, (_, i) => from + i);
const bytesOf = (positions: number) => 2 * H * positions * D * 4;

describe('PromptCache', () => {
  it('reuses the longest shared beginning after the same prefix, copied per head, and leaves a token to run', () => {
    const cache = new PromptCache(manifest, 1 << 20);
    cache.store('', ids(40), present(40));
    cache.store('m1', ids(40), present(44)); // 4 prefix positions ahead of the prompt
    const hit = cache.lookup('', [...ids(30), 999, 998]);
    expect(hit?.reused).toBe(30);
    expect(hit?.past[0].dims).toEqual([1, H, 30, D]);
    const data = hit!.past[0].data as Float32Array;
    expect([data[0], data[29 * D + 2], data[30 * D]]).toEqual([0, 292, 1000]); // head 0's positions 0..29, then head 1's
    expect(cache.lookup('', ids(40))?.reused).toBe(39); // the whole prompt cached: its last token still runs
    expect(cache.lookup('m1', [...ids(20), 7])?.past[0].dims).toEqual([1, H, 24, D]); // the prefix's positions come along
    expect(cache.lookup('m2', ids(40))).toBeNull(); // another prefix: its keys and values differ
    expect(cache.lookup('', [...ids(10), 5, 5, 5, 5, 5, 5, 5, 5])).toBeNull(); // under 16 shared tokens
    expect(cache.stats).toMatchObject({ lookups: 5, hits: 3, tokensReused: 30 + 39 + 20 });
  });

  it('serves the same prompt whole, with its last logits, where its pass kept them', () => {
    const cache = new PromptCache(manifest, 1 << 20);
    const logits = Float32Array.from([0.5, -1, 2]);
    cache.store('', ids(40), present(40), logits);
    logits[0] = 9; // the cache keeps a copy
    const same = cache.lookup('', ids(40))!;
    expect(same.reused).toBe(40);
    expect(same.past[0].dims).toEqual([1, H, 40, D]);
    expect(Array.from(same.logits!)).toEqual([0.5, -1, 2]);
    const longer = cache.lookup('', [...ids(40), 7])!; // another prompt: its last token runs
    expect(longer.reused).toBe(40);
    expect(longer.logits).toBeUndefined();
    expect(cache.lookup('', ids(30))?.logits).toBeUndefined(); // a shorter one: the entry's logits are not its
    expect(cache.size.bytes).toBe(bytesOf(40) + 3 * 4);
  });

  it('keeps within its budget, least recently used out first, and drops an entry a longer prompt covers', () => {
    const cache = new PromptCache(manifest, 3 * bytesOf(20));
    cache.store('', ids(20, 0), present(20));
    cache.store('', ids(20, 100), present(20));
    cache.store('', ids(20, 200), present(20));
    expect(cache.lookup('', [...ids(19, 0), 1])?.reused).toBe(19); // touches the first
    cache.store('', ids(20, 300), present(20)); // evicts the second, least recently used
    expect(cache.lookup('', [...ids(19, 100), 1])).toBeNull();
    expect(cache.lookup('', [...ids(19, 200), 1])?.reused).toBe(19);
    // begins with the fourth entry's ids: replaces it; over budget, the first (least recently used) goes
    cache.store('', [...ids(20, 300), ...ids(5, 900)], present(25));
    expect(cache.size).toEqual({ entries: 2, bytes: bytesOf(20) + bytesOf(25) });
    expect(cache.lookup('', [...ids(20, 300), 900, 1])?.reused).toBe(21);
    expect(cache.lookup('', [...ids(19, 0), 1])).toBeNull();
    expect(cache.stats.evictions).toBe(2);
    expect(new PromptCache(manifest, 0).lookup('', ids(20))).toBeNull();
  });
});

// Reusing a recent prompt's pass must not change an answer: the rest of the prompt run after the cached
// beginning gives the logits the whole prompt's pass gives (fp32 tiny bundle, to rounding), with and
// without a memory prefix, and the answers decoded are the same tokens.
describe('prompt cache in the Generator (tiny bundle)', () => {
  let bundle: Bundle;
  let prefix: Prefix;
  const passage = 'The Eiffel Tower was completed in 1889 for the World Fair in Paris. It is 330 metres tall and was the tallest structure in the world until 1930.';

  beforeAll(async () => {
    bundle = await loadBundle(TINY_BUNDLE, { threads: 1 });
    prefix = new MemoryConcatenator(bundle).concat([await new KvMemoryEncoder(bundle).encode(passage)]);
  });
  afterAll(async () => bundle?.close());

  it('a prompt that begins as a recent one runs over the rest only, to the same logits and tokens', async () => {
    const first = buildPrompt(bundle.manifest, 'When was the tower completed?', [passage]);
    const second = buildPrompt(bundle.manifest, 'How tall is the tower?', [passage]);
    for (const withPrefix of [false, true]) {
      const p = withPrefix ? prefix : null;
      const cached = new Generator(bundle, { promptCacheBytes: 64 << 20 });
      const plain = new Generator(bundle);
      await cached.generate(first, p, { maxNewTokens: 4, prefixId: 'm' });
      const a = await cached.generate(second, p, { maxNewTokens: 12, ignoreStop: true, prefixId: 'm' });
      const b = await plain.generate(second, p, { maxNewTokens: 12, ignoreStop: true, prefixId: 'm' });
      const shared = bundle.lmTokenizer.encode(first, false).findIndex((id, i) => id !== bundle.lmTokenizer.encode(second, false)[i]);
      expect(a.cachedTokens).toBe(shared);
      expect(b.cachedTokens).toBe(0);
      expect(a.tokens).toEqual(b.tokens);
      expect(cached.promptCacheStats).toMatchObject({ hits: 1, tokensReused: shared });
      // a prefix without an id cannot be matched, so nothing is reused after it
      if (withPrefix) expect((await cached.generate(second, p, { maxNewTokens: 2 })).cachedTokens).toBe(0);
    }
  });

  it('the same prompt asked again answers exactly as it did, with no pass over it', async () => {
    const prompt = buildPrompt(bundle.manifest, 'How tall is the tower?', [passage]);
    for (const p of [null, prefix]) {
      const cached = new Generator(bundle, { promptCacheBytes: 64 << 20 });
      const a = await cached.generate(prompt, p, { maxNewTokens: 12, ignoreStop: true, prefixId: 'm' });
      const b = await cached.generate(prompt, p, { maxNewTokens: 12, ignoreStop: true, prefixId: 'm' });
      expect(b.cachedTokens).toBe(b.promptTokens);
      expect(b.tokens).toEqual(a.tokens);
      expect(b.meanTokenProb).toBe(a.meanTokenProb);
    }
  });

  it('the logits of the rest after a cached beginning equal those of the whole prompt', async () => {
    const ids = bundle.lmTokenizer.encode(buildPrompt(bundle.manifest, 'How tall is the tower?', [passage]), false);
    const P = prefix.length;
    const whole = await bundle.sessions.lm.run(lmFeeds(bundle.manifest, ids, Object.values(pastFeeds(bundle.manifest, prefix)), P));
    const cache = new PromptCache(bundle.manifest, 64 << 20);
    cache.store('m', ids, presentsOf(bundle.manifest, whole));
    const asked = [...ids.slice(0, -5), ...ids.slice(-5)]; // the same prompt: all but its last token reused
    const hit = cache.lookup('m', asked)!;
    const rest = await bundle.sessions.lm.run(lmFeeds(bundle.manifest, asked.slice(hit.reused), hit.past, P + hit.reused));
    const last = (out: Record<string, ort.Tensor>, rows: number) => (out.logits.data as Float32Array).slice((rows - 1) * bundle.manifest.dims.lm_vocab);
    const diff = Math.max(...Array.from(last(rest, 1), (x, i) => Math.abs(x - last(whole, ids.length)[i])));
    expect(diff).toBeLessThan(1e-4);
  });
});
