import { describe, expect, it } from 'vitest';
import { decodeModulation, encodeModulation } from './codec.ts';

describe('memory codecs', () => {
  // Key-like values: a few large channels beside small ones, as RoPE'd keys have.
  const values = Float32Array.from({ length: 2048 }, (_, i) => Math.sin(i * 0.37) * (i % 64 < 4 ? 12 : 0.05));

  it.each([
    ['q8', 2048 + 64 * 4, 12 / 254],
    // a group's range (24) in 15 steps, rounded to the nearest: half a step, plus fp16's rounding of the minimum
    ['q4', 4 + 64 * 4 + 1024, 24 / 30 + 12 * 1e-3],
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

  it.each([1, 2, 31, 33, 100])('q8 and q4 round-trip a length of %i', (n) => {
    const v = Float32Array.from({ length: n }, (_, i) => i - n / 2);
    expect(decodeModulation(encodeModulation(v, 'q8'), 'q8').length).toBe(n);
    const back = decodeModulation(encodeModulation(v, 'q4'), 'q4');
    expect(back.length).toBe(n);
    // a group spans 31 integers at most: 15 steps of at most ~2.1, so within about a step of each
    expect(Math.max(...v.map((x, i) => Math.abs(x - back[i])))).toBeLessThanOrEqual(1.1);
  });

  it('q4 keeps a small group\'s precision and its offset (the range, not the magnitude, sets the step)', () => {
    const shifted = Float32Array.from({ length: 64 }, (_, i) => (i < 32 ? 5 + 0.01 * Math.sin(i) : Math.cos(i) * 3));
    const back = decodeModulation(encodeModulation(shifted, 'q4'), 'q4');
    const err = Math.max(...shifted.slice(0, 32).map((v, i) => Math.abs(v - back[i])));
    expect(err).toBeLessThanOrEqual(0.02 / 30 + 5 * 1e-3);
  });

  it('q4 stores a constant group exactly', () => {
    expect([...decodeModulation(encodeModulation(new Float32Array(40).fill(0.5), 'q4'), 'q4')]).toEqual(new Array(40).fill(0.5));
  });

  it('q8 stores an all-zero group as zeros', () => {
    expect([...decodeModulation(encodeModulation(new Float32Array(40), 'q8'), 'q8')]).toEqual(new Array(40).fill(0));
  });
});
