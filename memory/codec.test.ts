import { describe, expect, it } from 'vitest';
import { decodeModulation, encodeModulation } from './codec.ts';

describe('memory codecs', () => {
  // Key-like values: a few large channels beside small ones, as RoPE'd keys have.
  const values = Float32Array.from({ length: 2048 }, (_, i) => Math.sin(i * 0.37) * (i % 64 < 4 ? 12 : 0.05));

  it.each([
    ['q8', 2048 + 64 * 4, 12 / 254],
    ['fp16', 4096, 12 * 1e-3],
    ['fp32', 8192, 0],
  ] as const)('%s stores %i bytes and round-trips within %f', (codec, bytes, tolerance) => {
    const blob = encodeModulation(values, codec);
    expect(blob.length).toBe(bytes);
    const back = decodeModulation(blob, codec);
    const err = Math.max(...values.map((v, i) => Math.abs(v - back[i])));
    expect(err).toBeLessThanOrEqual(tolerance + 1e-7);
  });

  it('q8 gives each group of 32 its own scale, so small groups keep their precision', () => {
    const back = decodeModulation(encodeModulation(values, 'q8'), 'q8');
    // group 1 (values 32..63) holds only the small channels: error bounded by their own range
    const err = Math.max(...values.slice(32, 64).map((v, i) => Math.abs(v - back[32 + i])));
    expect(err).toBeLessThanOrEqual(0.05 / 254 + 1e-7);
  });

  it.each([1, 2, 31, 33, 100])('q8 round-trips a length of %i', (n) => {
    const v = Float32Array.from({ length: n }, (_, i) => i - n / 2);
    expect(decodeModulation(encodeModulation(v, 'q8'), 'q8').length).toBe(n);
  });

  it('q8 stores an all-zero group as zeros', () => {
    expect([...decodeModulation(encodeModulation(new Float32Array(40), 'q8'), 'q8')]).toEqual(new Array(40).fill(0));
  });
});
