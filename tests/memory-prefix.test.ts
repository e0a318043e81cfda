import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryConcatenator } from '../aggregator/index.ts';
import { loadBundle, type Bundle } from '../bundle/index.ts';
import { KvMemoryEncoder } from '../encoder/index.ts';
import { buildPrompt, Generator } from '../lm/index.ts';
import { TINY_BUNDLE } from './helpers.ts';

const passage = 'The Eiffel Tower was completed in 1889 for the World Fair in Paris. It is 330 metres tall.';
const question = 'When was the Eiffel Tower completed?';

// A memory that keeps every position is the LM's own cache of the context turn: reading it as a prefix
// must give what reading the passage in the prompt gives, whatever the keys' rotations went through.
describe('passage memory as a prefix (tiny bundle)', () => {
  let bundle: Bundle;
  beforeAll(async () => {
    bundle = await loadBundle(TINY_BUNDLE, { threads: 1 });
  });
  afterAll(async () => bundle?.close());

  const withMemory = (memory: Partial<Bundle['manifest']['memory']>): Bundle =>
    ({ ...bundle, manifest: { ...bundle.manifest, memory: { ...bundle.manifest.memory, ...memory } } });

  it.each(['relative', 'compact'] as const)('a full memory (%s placement) answers as the passage in the prompt does', async (placement) => {
    const b = withMemory({ slots: 10_000, placement });
    const memory = await new KvMemoryEncoder(b).encode(passage);
    const prefix = new MemoryConcatenator(b).concat([memory]);
    const generator = new Generator(b);
    const fromMemory = await generator.generate(buildPrompt(b.manifest, question), prefix, { maxNewTokens: 8, ignoreStop: true });
    const fromPrompt = await generator.generate(buildPrompt(b.manifest, question, [passage]), null, { maxNewTokens: 8, ignoreStop: true });
    expect(fromMemory.tokens).toEqual(fromPrompt.tokens);
    expect(Math.abs(fromMemory.meanTokenProb - fromPrompt.meanTokenProb)).toBeLessThan(1e-4);
  });

  it('keeps the configured number of slots, and concatenates memories slot for slot', async () => {
    const b = withMemory({ slots: 6 });
    const encoder = new KvMemoryEncoder(b);
    const [a, c] = [await encoder.encode(passage), await encoder.encode('Paris is the capital of France.')];
    const { lm_layers: L, lm_kv_heads: H, lm_head_dim: D } = b.manifest.dims;
    expect(a.length).toBe(6 * L * 2 * H * D);
    const prefix = new MemoryConcatenator(b).concat([a, c]);
    expect(prefix.length).toBe(12);
    expect(prefix.keys[0].dims).toEqual([1, H, 12, D]);
    // values are never rotated: the best memory (a) sits last, its layer-0 head-0 values unchanged
    const values = prefix.values[0].data as Float32Array;
    const own = a.subarray(H * 6 * D, H * 6 * D + 6 * D); // layer 0, value block, head 0
    expect([...values.subarray(6 * D, 12 * D)]).toEqual([...own]);
  });
});
