/**
 * Moving cached keys along the rotary axis. The LM stores keys already rotated (rotate-half RoPE), and a
 * rotation by a then b is a rotation by a + b: rotating a key cached at position p by delta puts it at
 * p + delta, exactly as if it had been computed there. Values carry no position and are never touched.
 */
export function rotateKey(buf: Float32Array, offset: number, delta: number, invFreq: readonly number[]): void {
  if (delta === 0) return;
  const half = invFreq.length;
  for (let i = 0; i < half; i++) {
    const angle = delta * invFreq[i];
    const cos = Math.cos(angle);
    const sin = Math.sin(angle);
    const x1 = buf[offset + i];
    const x2 = buf[offset + half + i];
    buf[offset + i] = x1 * cos - x2 * sin;
    buf[offset + half + i] = x2 * cos + x1 * sin;
  }
}
