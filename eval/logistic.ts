/**
 * L2-regularised logistic regression by Newton's method (a handful of features, a few hundred rows):
 * features are standardised first, so the penalty treats them alike and the fit is scale-free.
 */
export interface LogisticFit {
  mean: number[];
  std: number[];
  coef: number[];
  intercept: number;
}

export function fitLogistic(rows: number[][], labels: number[], l2 = 1, iterations = 50): LogisticFit {
  if (!rows.length || rows.length !== labels.length) throw new Error(`fitLogistic: ${rows.length} rows, ${labels.length} labels`);
  const k = rows[0].length;
  const mean = Array.from({ length: k }, (_, j) => rows.reduce((s, r) => s + r[j], 0) / rows.length);
  const std = Array.from({ length: k }, (_, j) => Math.sqrt(rows.reduce((s, r) => s + (r[j] - mean[j]) ** 2, 0) / rows.length) || 1);
  const x = rows.map((r) => [1, ...r.map((v, j) => (v - mean[j]) / std[j])]);
  const w = new Array(k + 1).fill(0);
  for (let it = 0; it < iterations; it++) {
    // gradient and Hessian of the penalised negative log-likelihood (the intercept is not penalised)
    const grad = w.map((wj, j) => (j ? l2 * wj : 0));
    const hess = w.map((_, i) => w.map((__, j) => (i === j && i ? l2 : 0)));
    for (let n = 0; n < x.length; n++) {
      const p = sigmoid(dot(w, x[n]));
      for (let i = 0; i <= k; i++) {
        grad[i] += (p - labels[n]) * x[n][i];
        for (let j = 0; j <= k; j++) hess[i][j] += p * (1 - p) * x[n][i] * x[n][j];
      }
    }
    const step = solve(hess, grad);
    for (let i = 0; i <= k; i++) w[i] -= step[i];
    if (Math.max(...step.map(Math.abs)) < 1e-9) break;
  }
  return { mean, std, coef: w.slice(1), intercept: w[0] };
}

export const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));
const dot = (a: number[], b: number[]) => a.reduce((s, v, i) => s + v * b[i], 0);

/** Gaussian elimination with partial pivoting: a x = b. */
function solve(a: number[][], b: number[]): number[] {
  const n = b.length;
  const m = a.map((row, i) => [...row, b[i]]);
  for (let c = 0; c < n; c++) {
    const pivot = m.slice(c).reduce((best, row, i) => (Math.abs(row[c]) > Math.abs(m[best][c]) ? c + i : best), c);
    [m[c], m[pivot]] = [m[pivot], m[c]];
    for (let r = c + 1; r < n; r++) {
      const f = m[r][c] / m[c][c];
      for (let j = c; j <= n; j++) m[r][j] -= f * m[c][j];
    }
  }
  const out = new Array(n).fill(0);
  for (let r = n - 1; r >= 0; r--) {
    let rest = m[r][n];
    for (let j = r + 1; j < n; j++) rest -= m[r][j] * out[j];
    out[r] = rest / m[r][r];
  }
  return out;
}
