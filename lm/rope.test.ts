import { describe, expect, it } from 'vitest';
import { rotateKey } from './rope.ts';

describe('rotating cached keys', () => {
  const invFreq = [1, 0.1, 0.01, 0.001];
  const key = Float32Array.from([0.3, -1.2, 2.5, 0.7, -0.4, 1.1, 0.05, -2.2]);

  it('rotating by a then by b is rotating by a + b', () => {
    const twice = key.slice();
    rotateKey(twice, 0, 37, invFreq);
    rotateKey(twice, 0, -12, invFreq);
    const once = key.slice();
    rotateKey(once, 0, 25, invFreq);
    for (let i = 0; i < key.length; i++) expect(twice[i]).toBeCloseTo(once[i], 5);
  });

  it('keeps the norm of each rotated pair', () => {
    const r = key.slice();
    rotateKey(r, 0, 1234, invFreq);
    for (let i = 0; i < 4; i++) expect(Math.hypot(r[i], r[i + 4])).toBeCloseTo(Math.hypot(key[i], key[i + 4]), 5);
  });
});
