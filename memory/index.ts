export { CheckpointThread } from './checkpoint-thread.ts';
export { DataDirInUseError, lockDataDir, LOCK_FILE, type DataLock } from './data-lock.ts';
export { CODECS, decodeModulation, encodeModulation, storedMemory, type Codec } from './codec.ts';
export { HnswIndex, type HnswOptions } from './hnsw-index.ts';
export { openIndex, saveSnapshot, type IndexSnapshotMeta, type OpenedIndex } from './open-index.ts';
export { contentWords, wordSet } from './keywords.ts';
export { contentHash, SqliteStore } from './sqlite-store.ts';
export { ExactIndex, type Neighbor, type VectorIndex } from './vector-index.ts';
export type * from './types.ts';
