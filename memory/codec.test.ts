import { describe, expect, it } from 'vitest';
import { decodeModulation, encodeModulation } from './codec.ts';

describe('modulation codecs', () => {
  const values = Float32Array.from({ length: 2048 }, (_, i) => Math.sin(i * 0.37));

  it.each([
    ['int8', 2048, 1 / 254],
    ['fp16', 4096, 1e-3],
    ['fp32', 8192, 0],
  ] as const)('%s stores %i bytes and round-trips within %f', (codec, bytes, tolerance) => {
    const blob = encodeModulation(values, codec);
    expect(blob.length).toBe(bytes);
    const back = decodeModulation(blob, codec);
    const err = Math.max(...values.map((v, i) => Math.abs(v - back[i])));
    expect(err).toBeLessThanOrEqual(tolerance + 1e-7);
  });

  it('clips int8 at the tanh range', () => {
    expect([...decodeModulation(encodeModulation(Float32Array.of(1.5, -2), 'int8'), 'int8')]).toEqual([1, -1]);
  });
});
