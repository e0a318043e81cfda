import type { DocumentFilter, MemoryStore, StoredPassage, VectorIndex } from '../memory/index.ts';

export interface Candidate {
  passage: StoredPassage;
  similarity: number;
}

/**
 * Candidate memories for a question: nearest neighbours by embedding, optionally fused with SQLite FTS5
 * keyword hits by reciprocal rank (RETRIEVAL=vector+keyword). SQLite has the last word: a passage forgotten after the
 * index answered is dropped here, so no answer can draw on a deleted document. A filter (collections,
 * metadata, ...) is applied inside the search: the index walks its graph for neighbours that match, so a
 * selective filter still yields k candidates.
 */
export function selectCandidates(
  store: MemoryStore, index: VectorIndex, question: string, embedding: Float32Array, k: number, withKeywords: boolean, filter: DocumentFilter = {},
): Candidate[] {
  const overfetch = k * 2 + 4;
  const allowed = store.passagesMatching(filter);
  if (allowed?.size === 0) return [];
  const vector = index.search(embedding, overfetch, allowed ? (id) => allowed.has(id) : undefined);
  let ranked = vector.map((n) => n.id);
  if (withKeywords) {
    const keyword = store.keywordSearch(question, allowed ? overfetch * 4 : overfetch).filter((h) => !allowed || allowed.has(h.id));
    const score = new Map<number, number>();
    const rrf = (ids: number[]) => ids.forEach((id, rank) => score.set(id, (score.get(id) ?? 0) + 1 / (60 + rank)));
    rrf(ranked);
    rrf(keyword.map((h) => h.id));
    ranked = [...score.keys()].sort((a, b) => score.get(b)! - score.get(a)!);
  }
  const passages = store.getPassages(ranked.slice(0, overfetch));
  return passages.slice(0, k).map((passage) => ({
    passage,
    similarity: cosine(embedding, passage.embedding),
  }));
}

/** Both embeddings are L2-normalized, so the dot product is the cosine. */
function cosine(a: Float32Array, b: Float32Array): number {
  let dot = 0;
  for (let i = 0; i < a.length; i++) dot += a[i] * b[i];
  return dot;
}
