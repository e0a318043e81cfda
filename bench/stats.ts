/** Summary statistics for latency samples; percentiles interpolate linearly between ranks. */
export function percentile(values: number[], q: number): number | null {
  if (!values.length) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

export const median = (values: number[]) => percentile(values, 0.5);

export const mean = (values: number[]) => (values.length ? values.reduce((a, b) => a + b, 0) / values.length : null);

/** Three decimals are plenty for milliseconds and rates, and keep the JSON readable. */
export function round(x: number | null, digits = 3): number | null {
  return x === null || !Number.isFinite(x) ? null : Number(x.toFixed(digits));
}
