import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { HnswIndex, type HnswOptions } from './hnsw-index.ts';
import type { MemoryStore } from './types.ts';

export interface IndexSnapshotMeta {
  dim: number;
  bundleId: string;
  /** Highest passage id the snapshot was taken after; newer passages are caught up from SQLite. */
  watermark: number;
}

export interface OpenedIndex {
  index: HnswIndex;
  fromSnapshot: boolean;
  caughtUp: number;
  dropped: number;
}

/**
 * The index is derived state: load the snapshot if it matches this bundle, then catch up from SQLite
 * (passages newer than the snapshot are added, passages forgotten since are dropped). Without a usable
 * snapshot it is rebuilt from SQLite alone.
 */
export function openIndex(store: MemoryStore, path: string, dim: number, bundleId: string, options: HnswOptions = {}, onProgress?: (done: number) => void): OpenedIndex {
  const meta = readMeta(path);
  const usable = meta && meta.dim === dim && meta.bundleId === bundleId;
  const loaded = usable ? HnswIndex.load(path, dim, options) : null;
  const index = loaded ?? HnswIndex.create(dim, options);
  let dropped = 0;
  if (loaded) {
    const live = new Set(store.passageIds());
    for (const id of loaded.ids()) {
      if (!live.has(id)) {
        loaded.remove(id);
        dropped++;
      }
    }
  }
  let after = loaded ? meta!.watermark : 0;
  let caughtUp = 0;
  for (;;) {
    const batch = store.passageEmbeddings(after, 5000);
    if (!batch.length) break;
    for (const p of batch) index.add(p.id, p.embedding);
    after = batch[batch.length - 1].id;
    caughtUp += batch.length;
    onProgress?.(caughtUp);
  }
  return { index, fromSnapshot: Boolean(loaded), caughtUp, dropped };
}

/** Writes the snapshot and its metadata atomically (rename), so a crash never leaves a torn pair. */
export function saveSnapshot(index: HnswIndex, path: string, meta: IndexSnapshotMeta): void {
  index.save(`${path}.tmp`);
  writeFileSync(`${path}.meta.json.tmp`, JSON.stringify(meta));
  renameSync(`${path}.tmp`, path);
  renameSync(`${path}.meta.json.tmp`, `${path}.meta.json`);
}

function readMeta(path: string): IndexSnapshotMeta | null {
  try {
    return existsSync(`${path}.meta.json`) && existsSync(path) ? JSON.parse(readFileSync(`${path}.meta.json`, 'utf8')) : null;
  } catch {
    return null;
  }
}
