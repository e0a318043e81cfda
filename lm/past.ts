import * as ort from 'onnxruntime-node';
import type { Manifest } from '../bundle/index.ts';
import type { Prefix } from '../aggregator/index.ts';

/**
 * The LM's `past_key_values.{l}.key/value` feeds: the prefix's tensors, or empty ones [1, H_kv, 0, D]
 * when the LM starts from nothing. The prefix's tensors stay the caller's.
 */
export function pastFeeds(manifest: Manifest, prefix: Prefix | null): Record<string, ort.Tensor> {
  const { lm_layers: L, lm_kv_heads: H, lm_head_dim: D } = manifest.dims;
  const feeds: Record<string, ort.Tensor> = {};
  for (let l = 0; l < L; l++) {
    feeds[`past_key_values.${l}.key`] = prefix ? prefix.keys[l] : new ort.Tensor('float32', new Float32Array(0), [1, H, 0, D]);
    feeds[`past_key_values.${l}.value`] = prefix ? prefix.values[l] : new ort.Tensor('float32', new Float32Array(0), [1, H, 0, D]);
  }
  return feeds;
}
