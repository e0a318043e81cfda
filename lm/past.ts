import * as ort from 'onnxruntime-node';
import { int64, LOGITS_FROM, type Manifest } from '../bundle/index.ts';
import type { Prefix } from '../aggregator/index.ts';

/**
 * The LM's `past_key_values.{l}.key/value` feeds: the prefix's tensors, or empty ones [1, H_kv, 0, D]
 * when the LM starts from nothing. The prefix's tensors stay the caller's.
 */
export function pastFeeds(manifest: Manifest, prefix: Prefix | null): Record<string, ort.Tensor> {
  const { lm_layers: L, lm_kv_heads: H, lm_head_dim: D } = manifest.dims;
  const empty = () => new ort.Tensor('float32', new Float32Array(0), [1, H, 0, D]);
  const past = Array.from({ length: L }, (_, l) => (prefix ? [prefix.keys[l], prefix.values[l]] : [empty(), empty()])).flat();
  return namedPast(manifest, past);
}

/** A pass's cache: its `present.{l}.key/value` outputs, key and value per layer, in layer order (the next pass's past). */
export function presentsOf(manifest: Manifest, out: Record<string, ort.Tensor>): ort.Tensor[] {
  return Array.from({ length: manifest.dims.lm_layers }, (_, l) => [out[`present.${l}.key`], out[`present.${l}.value`]]).flat();
}

/**
 * One LM pass's feeds: `ids` after `past` (key, value per layer, in layer order), the first of them at
 * `position`; logits for the ids from `logitsFrom` on (0: all of them; `ids.length - 1`: the next token's only).
 */
export function lmFeeds(manifest: Manifest, ids: number[], past: ort.Tensor[], position: number, logitsFrom = 0): Record<string, ort.Tensor> {
  return {
    input_ids: int64(ids, [1, ids.length]),
    attention_mask: int64(new Array(position + ids.length).fill(1), [1, position + ids.length]),
    position_ids: int64(ids.map((_, i) => position + i), [1, ids.length]),
    [LOGITS_FROM]: int64([logitsFrom], [1]),
    ...namedPast(manifest, past),
  };
}

/** The `past_key_values.{l}.key/value` feeds of a cache held as key, value per layer, in layer order. */
export function namedPast(manifest: Manifest, past: ort.Tensor[]): Record<string, ort.Tensor> {
  const feeds: Record<string, ort.Tensor> = {};
  for (let l = 0; l < manifest.dims.lm_layers; l++) {
    feeds[`past_key_values.${l}.key`] = past[2 * l];
    feeds[`past_key_values.${l}.value`] = past[2 * l + 1];
  }
  return feeds;
}

/** Log-probabilities of the `ids` under one row of logits [n, V]. */
export function logProbs(logits: Float32Array, row: number, V: number, ids: number[]): number[] {
  const offset = row * V;
  let max = -Infinity;
  for (let v = 0; v < V; v++) max = Math.max(max, logits[offset + v]);
  let sum = 0;
  for (let v = 0; v < V; v++) sum += Math.exp(logits[offset + v] - max);
  const logZ = max + Math.log(sum);
  return ids.map((id) => logits[offset + id] - logZ);
}
