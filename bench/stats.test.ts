import { describe, expect, it } from 'vitest';
import { mean, percentile, round } from './stats.ts';

describe('bench statistics', () => {
  it('interpolates percentiles between ranks, in any input order', () => {
    expect(percentile([3, 1, 2, 4], 0.5)).toBe(2.5);
    expect(percentile([10, 20], 0.95)).toBeCloseTo(19.5);
    expect(percentile([7], 0.99)).toBe(7);
  });

  it('has no statistics for no samples', () => {
    expect(percentile([], 0.5)).toBeNull();
    expect(mean([])).toBeNull();
    expect(round(null)).toBeNull();
  });
});
