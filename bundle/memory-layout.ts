import type { Manifest } from './manifest.ts';

/**
 * A passage memory is one Float32Array laid out [layer][key|value][kv head][slot][head dim]: each layer's
 * keys (and values) are one contiguous block, so a prefix is built by copying blocks. Keys are stored
 * rotated to their position relative to the end of the memory (the last slot sits just before position 0),
 * so placing a memory whose last slot ends at E in a prefix is a rotation of every key by E.
 */
export interface MemoryLayout {
  layers: number;
  heads: number;
  headDim: number;
  /** Floats per slot across all layers, keys and values. */
  perSlot: number;
}

export function memoryLayout(manifest: Manifest): MemoryLayout {
  const { lm_layers: layers, lm_kv_heads: heads, lm_head_dim: headDim } = manifest.dims;
  return { layers, heads, headDim, perSlot: layers * 2 * heads * headDim };
}

export function slotsOf(memory: Float32Array, layout: MemoryLayout): number {
  const slots = memory.length / layout.perSlot;
  if (!Number.isInteger(slots)) throw new Error(`a memory of ${memory.length} floats is not a whole number of slots of ${layout.perSlot}`);
  return slots;
}

/** Offset of one (layer, key|value, head) block of `slots` vectors. */
export function blockOffset(layout: MemoryLayout, slots: number, layer: number, kv: 0 | 1, head: number): number {
  return ((layer * 2 + kv) * layout.heads + head) * slots * layout.headDim;
}

