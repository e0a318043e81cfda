import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadBundle, release, type Bundle } from '../bundle/index.ts';
import { buildPrompt } from '../lm/index.ts';
import { lmFeeds, pastFeeds } from '../lm/past.ts';
import { DEFAULT_BUNDLE, TINY_BUNDLE } from './helpers.ts';

// The LM head reads the final hidden states from `logits_from` on (bundle/lm-graph.ts): a prompt pass asks
// for its last position only. The rows it gives must be the whole pass's rows, bit for bit, in the fp32
// tiny bundle and in the default bundle's 8-bit head (whose kernel could sum a lone row differently).
describe.each([['tiny', TINY_BUNDLE], ['default', DEFAULT_BUNDLE]])('logits_from (%s bundle)', (_, dir) => {
  let bundle: Bundle;
  beforeAll(async () => {
    bundle = await loadBundle(dir, { threads: 1, models: ['lm'] });
  });
  afterAll(async () => bundle?.close());

  it('gives the rows from that position on, equal to the whole pass', async () => {
    const { manifest, lmTokenizer: tok } = bundle;
    const V = manifest.dims.lm_vocab;
    const ids = tok.encode(buildPrompt(manifest, 'When was the tower finished?', ['The tower was finished in 1889 for the fair.']), false);
    const n = ids.length;
    const run = async (from: number) => {
      const out = await bundle.sessions.lm.run(lmFeeds(manifest, ids, Object.values(pastFeeds(manifest, null)), 0, from));
      const logits = out.logits;
      release(...Object.values(out).filter((t) => t !== logits));
      return logits;
    };
    const whole = await run(0);
    expect(whole.dims).toEqual([1, n, V]);
    for (const from of [n - 1, n - 3]) {
      const part = await run(from);
      expect(part.dims).toEqual([1, n - from, V]);
      const want = (whole.data as Float32Array).subarray(from * V);
      expect(Buffer.from((part.data as Float32Array).buffer).equals(Buffer.from(want.slice().buffer))).toBe(true);
      release(part);
    }
    release(whole);
  }, 60_000);
});
