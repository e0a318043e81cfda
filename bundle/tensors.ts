import * as ort from 'onnxruntime-node';

/** Small constructors so callers never juggle typed arrays and dims by hand. */
export const int64 = (values: ArrayLike<number>, dims: number[]) =>
  new ort.Tensor('int64', BigInt64Array.from(Array.from(values, (v) => BigInt(v))), dims);

export const float32 = (values: Float32Array, dims: number[]) => new ort.Tensor('float32', values, dims);

/** Pads token id rows to one length: ids and a 0/1 mask, both int64 [rows, maxLen]. */
export function padBatch(rows: number[][]): { ids: ort.Tensor; mask: ort.Tensor; lengths: number[] } {
  const width = Math.max(1, ...rows.map((r) => r.length));
  const ids = new BigInt64Array(rows.length * width);
  const mask = new BigInt64Array(rows.length * width);
  rows.forEach((row, i) => {
    row.forEach((id, j) => {
      ids[i * width + j] = BigInt(id);
      mask[i * width + j] = 1n;
    });
  });
  return {
    ids: new ort.Tensor('int64', ids, [rows.length, width]),
    mask: new ort.Tensor('int64', mask, [rows.length, width]),
    lengths: rows.map((r) => r.length),
  };
}

/** Releases tensors we own (outputs we no longer need); a no-op for CPU data the GC reclaims. */
export function release(...tensors: (ort.Tensor | undefined)[]): void {
  for (const t of tensors) t?.dispose?.();
}
