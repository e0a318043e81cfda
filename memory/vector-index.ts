export interface Neighbor {
  id: number;
  /** Cosine similarity (embeddings are L2-normalized). */
  score: number;
}

/** Approximate nearest-neighbour search over passage embeddings; derived state, rebuilt from SQLite. */
export interface VectorIndex {
  readonly dim: number;
  add(id: number, embedding: Float32Array): void;
  remove(id: number): void;
  /** The k nearest among the ids `allow` accepts (all when absent). */
  search(query: Float32Array, k: number, allow?: (id: number) => boolean): Neighbor[];
  size(): number;
  save(path: string): void;
}

/** Exact search in memory: the reference for recall, and the fake for unit tests. */
export class ExactIndex implements VectorIndex {
  private readonly vectors = new Map<number, Float32Array>();

  constructor(readonly dim: number) {}

  add(id: number, embedding: Float32Array): void {
    this.vectors.set(id, embedding);
  }

  remove(id: number): void {
    this.vectors.delete(id);
  }

  search(query: Float32Array, k: number, allow?: (id: number) => boolean): Neighbor[] {
    const scored: Neighbor[] = [];
    for (const [id, v] of this.vectors) {
      if (allow && !allow(id)) continue;
      let dot = 0;
      for (let i = 0; i < this.dim; i++) dot += v[i] * query[i];
      scored.push({ id, score: dot });
    }
    return scored.sort((a, b) => b.score - a.score).slice(0, k);
  }

  size(): number {
    return this.vectors.size;
  }

  save(): void {}
}
