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

export interface Summary {
  n: number;
  mean: number | null;
  p50: number | null;
  p95: number | null;
  p99: number | null;
  max: number | null;
}

export function summarize(values: number[]): Summary {
  return {
    n: values.length, mean: round(mean(values)), p50: round(percentile(values, 0.5)), p95: round(percentile(values, 0.95)),
    p99: round(percentile(values, 0.99)), max: round(values.length ? Math.max(...values) : null),
  };
}

/** Three significant decimals are plenty for milliseconds and rates, and keep the JSON readable. */
export function round(x: number | null, digits = 3): number | null {
  return x === null || !Number.isFinite(x) ? null : Number(x.toFixed(digits));
}
