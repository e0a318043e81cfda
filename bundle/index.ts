export { createSessions, loadBundle, type Bundle, type LoadOptions } from './load.ts';
export { LOGITS_FROM, qkvOutput, rotateNewKey, type RotaryTables } from './lm-graph.ts';
export { BundleError, REBUILD_HINT } from './errors.ts';
export type { Manifest, MemorySpec, ModelName } from './manifest.ts';
export type { TextTokenizer } from './tokenizer.ts';
export { float32, int64, padBatch, release } from './tensors.ts';
export { blockOffset, memoryLayout, slotsOf, type MemoryLayout } from './memory-layout.ts';
