import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { blockOffset, loadBundle, memoryLayout, type Bundle } from '../bundle/index.ts';
import { KvMemoryEncoder, selectSlots } from '../encoder/index.ts';
import { DEFAULT_BUNDLE } from './helpers.ts';

// The default bundle's trained memory encoder (the LM's graph with adapters on its reading pass) against the
// PyTorch model it was trained as (mac/train.py), through the service's own encoder.
describe('trained memory encoder (default bundle)', () => {
  let bundle: Bundle;
  let fx: { passages: string[]; memory_encoder: { context_ids: number[]; last_layer_values: number[][] } };

  beforeAll(async () => {
    if (!existsSync(join(DEFAULT_BUNDLE, 'manifest.json'))) throw new Error(`No default bundle at ${DEFAULT_BUNDLE}: run \`npm run setup\``);
    bundle = await loadBundle(DEFAULT_BUNDLE, { threads: 1, verifyHashes: false });
    fx = JSON.parse(readFileSync(join(DEFAULT_BUNDLE, 'parity.json'), 'utf8'));
  }, 120_000);
  afterAll(async () => bundle?.close());

  it('is in the bundle and named by the manifest', () => {
    expect(bundle.manifest.memory.encoder?.file).toBe('memory_encoder.onnx');
    expect(bundle.sessions.memory_encoder).toBeDefined();
  });

  // The bundle's LM weights are the GGUF's 4-bit grid exactly, but MatMulNBits quantizes activations to int8
  // (accuracy_level 4, the fast kernels), so 30 layers on the values drift a few percent from fp32 PyTorch.
  it('keeps the values PyTorch computes at the kept slots (within the int8-activation drift)', async () => {
    const encoder = new KvMemoryEncoder(bundle);
    const ids = encoder.contextTokens(fx.passages[0]);
    expect(ids).toEqual(fx.memory_encoder.context_ids);
    const memory = await encoder.encode(fx.passages[0]);
    const layout = memoryLayout(bundle.manifest);
    const { context } = bundle.manifest.prompt;
    const header = bundle.lmTokenizer.encode(context.slice(0, context.indexOf('{passages}')), false).length;
    const slots = selectSlots(ids.map((id) => bundle.lmTokenizer.decode([id])), bundle.manifest.memory, header);
    const base = blockOffset(layout, slots.length, layout.layers - 1, 1, 0); // last layer, values, kv-head 0
    let worst = 0;
    let scale = 0;
    slots.forEach((p, j) => {
      const want = fx.memory_encoder.last_layer_values[p];
      for (let d = 0; d < 4; d++) {
        worst = Math.max(worst, Math.abs(memory[base + j * layout.headDim + d] - want[d]));
        scale = Math.max(scale, Math.abs(want[d]));
      }
    });
    expect(worst / scale).toBeLessThan(0.1);
  });

  it('differs from what the plain LM would keep (the adapters are used)', async () => {
    const plain = new KvMemoryEncoder({ ...bundle, sessions: { ...bundle.sessions, memory_encoder: undefined } });
    const [a, b] = [await new KvMemoryEncoder(bundle).encode(fx.passages[0]), await plain.encode(fx.passages[0])];
    let diff = 0;
    for (let i = 0; i < a.length; i++) diff = Math.max(diff, Math.abs(a[i] - b[i]));
    expect(diff).toBeGreaterThan(0.1);
  });
});
