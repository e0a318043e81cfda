import { existsSync } from 'node:fs';
import hnswlib from 'hnswlib-node';
import type { Neighbor, VectorIndex } from './vector-index.ts';

export interface HnswOptions {
  m?: number;
  efConstruction?: number;
  /** Search breadth; hnswlib's default of 10 gives poor recall, 128 keeps recall@10 near 1. */
  efSearch?: number;
  initialCapacity?: number;
}

/** hnswlib over inner product (= cosine on normalized embeddings), growing as passages arrive. */
export class HnswIndex implements VectorIndex {
  private readonly index: hnswlib.HierarchicalNSW;
  private live = 0;
  private readonly deleted = new Set<number>();

  private constructor(readonly dim: number, private readonly options: Required<HnswOptions>) {
    this.index = new hnswlib.HierarchicalNSW('ip', dim);
  }

  static create(dim: number, options: HnswOptions = {}): HnswIndex {
    const idx = new HnswIndex(dim, withDefaults(options));
    idx.index.initIndex(idx.options.initialCapacity, idx.options.m, idx.options.efConstruction, 100, true);
    idx.index.setEf(idx.options.efSearch);
    return idx;
  }

  /** Loads a snapshot; returns null if there is none. The labels marked deleted are not restorable from hnswlib,
   * so the caller reconciles against SQLite (see openIndex). */
  static load(path: string, dim: number, options: HnswOptions = {}): HnswIndex | null {
    if (!existsSync(path)) return null;
    const idx = new HnswIndex(dim, withDefaults(options));
    idx.index.readIndexSync(path, true);
    idx.index.setEf(idx.options.efSearch);
    idx.live = idx.index.getCurrentCount();
    return idx;
  }

  ids(): number[] {
    return this.index.getIdsList().filter((id) => !this.deleted.has(id));
  }

  add(id: number, embedding: Float32Array): void {
    if (this.index.getCurrentCount() >= this.index.getMaxElements()) {
      this.index.resizeIndex(Math.max(1024, this.index.getMaxElements() * 2));
    }
    this.index.addPoint(Array.from(embedding), id, true);
    this.deleted.delete(id);
    this.live++;
  }

  /**
   * Forgets a passage. hnswlib only marks a deleted element and keeps its vector (in memory and in every
   * snapshot written after), so the vector is first overwritten with zeros: what is saved next holds no
   * trace of the passage's embedding.
   */
  remove(id: number): void {
    if (this.deleted.has(id)) return;
    try {
      this.index.getPoint(id);
    } catch {
      return; // not in the index (never added, or removed before a snapshot): nothing to do
    }
    this.index.addPoint(new Array(this.dim).fill(0), id, false);
    this.index.markDelete(id);
    this.deleted.add(id);
    this.live--;
  }

  search(query: Float32Array, k: number, allow?: (id: number) => boolean): Neighbor[] {
    if (this.live <= 0) return [];
    // hnswlib checks the filter while it walks the graph, so k matching neighbours come back when they exist.
    const { neighbors, distances } = this.index.searchKnn(Array.from(query), Math.min(k, this.live), allow);
    return neighbors.map((id, i) => ({ id, score: 1 - distances[i] }));
  }

  size(): number {
    return this.live;
  }

  save(path: string): void {
    this.index.writeIndexSync(path);
  }
}

function withDefaults(o: HnswOptions): Required<HnswOptions> {
  return { m: o.m ?? 16, efConstruction: o.efConstruction ?? 200, efSearch: o.efSearch ?? 128, initialCapacity: o.initialCapacity ?? 1024 };
}
