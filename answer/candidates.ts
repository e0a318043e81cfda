import { contentWords, wordSet, type DocumentFilter, type MemoryStore, type StoredPassage, type VectorIndex } from '../memory/index.ts';
import { normalizeAnswer } from '../monitor/squad-metrics.ts';

/**
 * An older passage of another document set aside for a newer one: `restates`, the newer says nearly the
 * same words (withoutRestated); `contradicts`, read for the question, the newer gives another answer (withoutContradicted).
 */
export interface Superseded {
  passage: StoredPassage;
  reason: 'restates' | 'contradicts';
}

export interface Candidate {
  passage: StoredPassage;
  /** Cosine similarity of the question's and the passage's embeddings (a calibration feature). */
  similarity: number;
  /** The best cosine similarity of the question to the passage or one of its sentences: what the similarity gate compares (ABSTAIN_BELOW). */
  relevance: number;
  /** Older passages of other documents set aside for this one. */
  supersedes: Superseded[];
}

/** How many passages each retriever proposes to the fusion (more when k asks for more). */
const PROPOSALS = 32;

/**
 * The share of the smaller of two passages' word sets inside the larger (the overlap coefficient) at or
 * above which one restates the other: a copy, or a short item restating part of a longer passage.
 */
const RESTATES = 0.8;
/** Passages of fewer words are not compared (a heading restates too much). */
const MIN_WORDS = 8;

/**
 * Candidate memories for a question: nearest neighbours by embedding, by default fused with SQLite FTS5
 * keyword hits (RETRIEVAL=vector+keyword): hnswlib and FTS5 each propose their best passages, and every
 * passage proposed is ranked by the sum of its two scores, each standardised over the proposals: BM25, and
 * the better of its own and its nearest sentence's cosine (`relevance`; recall@1 0.856 -> 0.867 on the
 * tuning set, docs/experiments.md "Retrieval ranks a passage by its nearest sentence too"). SQLite has
 * the last word: a passage forgotten after the index answered is dropped here, so no answer can draw on a
 * deleted document. A filter (collections, metadata, ...) is applied inside the
 * search: the index walks its graph for neighbours that match, so a selective filter still yields k
 * candidates. A passage that a newer document restates gives way to it (withoutRestated).
 */
export function selectCandidates(
  store: MemoryStore, index: VectorIndex, question: string, embedding: Float32Array, k: number, withKeywords: boolean, filter: DocumentFilter = {},
): Candidate[] {
  const overfetch = k * 2 + 4;
  const allowed = store.passagesMatching(filter);
  if (allowed?.size === 0) return [];
  const allow = allowed ? (id: number) => allowed.has(id) : undefined;
  const ranked = withKeywords
    ? fused(store, index, question, embedding, Math.max(PROPOSALS, overfetch), allowed, allow)
    : index.search(embedding, overfetch, allow).map((n) => n.id);
  const passages = withoutRestated(store.getPassages(ranked.slice(0, overfetch)), question);
  return passages.slice(0, k).map(({ passage, supersedes }) => {
    const similarity = cosine(embedding, passage.embedding);
    return { passage, similarity, relevance: relevance(embedding, passage, similarity), supersedes: supersedes.map((older) => ({ passage: older, reason: 'restates' as const })) };
  });
}

/**
 * How near the question is to a passage: the better of its cosine similarity to the whole passage and to
 * its nearest sentence (a passage's embedding averages all it says: "Who books the change window?" is far
 * from stand-up notes that cover five things, near the sentence that answers it). Banks made before
 * sentences were embedded read the passage alone. `similarity`: the passage's, where the caller has it.
 */
export function relevance(question: Float32Array, passage: Pick<StoredPassage, 'embedding' | 'sentenceEmbeddings'>, similarity = cosine(question, passage.embedding)): number {
  let best = similarity;
  const sentences = passage.sentenceEmbeddings;
  if (!sentences) return best;
  const dim = question.length;
  for (let at = 0; at + dim <= sentences.length; at += dim) best = Math.max(best, cosine(question, sentences.subarray(at, at + dim)));
  return best;
}

/** The passages hnswlib and FTS5 propose, best first by standardised relevance + standardised BM25. */
function fused(
  store: MemoryStore, index: VectorIndex, question: string, embedding: Float32Array, m: number, allowed: Set<number> | null, allow: ((id: number) => boolean) | undefined,
): number[] {
  const dense = index.search(embedding, m, allow);
  const keyword = store.keywordSearch(question, allowed ? m * 4 : m).filter((h) => !allowed || allowed.has(h.id)).slice(0, m);
  const bm25 = new Map(keyword.map((h) => [h.id, h.score]));
  const unscored = dense.map((n) => n.id).filter((id) => !bm25.has(id));
  for (const h of store.keywordSearch(question, unscored.length, unscored)) bm25.set(h.id, h.score);
  const embeddings = store.embeddingsOf([...new Set([...dense.map((n) => n.id), ...keyword.map((h) => h.id)])]);
  const ids = [...embeddings.keys()];
  const cos = standardised(ids.map((id) => relevance(embedding, embeddings.get(id)!)));
  const kw = standardised(ids.map((id) => bm25.get(id) ?? 0));
  const score = new Map(ids.map((id, i) => [id, cos[i] + kw[i]]));
  return ids.sort((a, b) => score.get(b)! - score.get(a)!);
}

/**
 * The passages, best first, each with those it supersedes, less each one that a newer passage of another
 * document among them restates (RESTATES): a corrected copy from another source, a page re-posted under a
 * new id, or a short item restating one of its sentences stands for the older text, whichever ranked
 * higher. Not where the question points at the older: a question word it holds and the newer lacks
 * ("sales in week 12" keeps week 12's report beside week 13's; a question about the rest of a paragraph
 * keeps it beside a short item). Newer: the later `published_at` where both documents have one, else the
 * later indexing; two of the same age both stay.
 */
export function withoutRestated(passages: StoredPassage[], question: string): { passage: StoredPassage; supersedes: StoredPassage[] }[] {
  const words = passages.map((p) => wordSet(p.text));
  const asked = contentWords(question);
  const restates = (j: number, i: number) =>
    passages[j].documentId !== passages[i].documentId && newerThan(passages[j], passages[i]) &&
    Math.min(words[i].size, words[j].size) >= MIN_WORDS && overlap(words[i], words[j]) >= RESTATES &&
    asked.every((w) => !words[i].has(w) || words[j].has(w));
  const superseded = passages.map((_, i) => passages.some((_, j) => restates(j, i)));
  return passages.flatMap((passage, j) => superseded[j] ? [] : [{ passage, supersedes: passages.filter((_, i) => superseded[i] && restates(j, i)) }]);
}

/** A passage read for the question with the reader's best answer in it. */
export interface Reading {
  candidate: Candidate;
  answer: { text: string; gap: number } | undefined;
}

/**
 * Whether `newer` contradicts `older`: a passage of another document, newer, in which the reader finds an
 * answer at least `answersAbove` over no answer (log-odds) that differs from the older's. A fact changed in
 * words of its own ("the council appointed Tomas Keller to lead the library" after "its director is Marta
 * Silva") reads so; so does a neighbouring paragraph answering a nearby question, which is why the service
 * tells of it rather than acting on it, unless asked to (docs/experiments.md, "A newer document that answers differently").
 */
export function contradicts(newer: Reading, older: Reading, answersAbove: number): boolean {
  const [a, b] = [newer.answer, older.answer];
  return a !== undefined && b !== undefined && a.gap >= answersAbove && !sameAnswer(a.text, b.text) &&
    newer.candidate.passage.documentId !== older.candidate.passage.documentId && newerThan(newer.candidate.passage, older.candidate.passage);
}

/** The passages read, less each that a newer one among them contradicts; each kept passage carries those it sets aside. */
export function withoutContradicted(read: Reading[], answersAbove: number): Candidate[] {
  const setAside = read.map((older) => read.some((newer) => contradicts(newer, older, answersAbove)));
  return read.flatMap((r, j) => setAside[j] ? [] : [{
    ...r.candidate,
    supersedes: [...r.candidate.supersedes, ...read.filter((older, i) => setAside[i] && contradicts(r, older, answersAbove)).map((o) => ({ passage: o.candidate.passage, reason: 'contradicts' as const }))],
  }]);
}

/**
 * Of `passages`, those that could contradict one of `answered`: newer, of another document. Only these
 * need reading for a conflict note; where none of the passages could contradict another, nothing does.
 */
export function couldContradict(passages: StoredPassage[], answered: StoredPassage[]): StoredPassage[] {
  return passages.filter((a) => answered.some((b) => a.documentId !== b.documentId && newerThan(a, b)));
}

/** Two answers agree where the normalised words of one lie within the other's ("Helena Marsh", "Professor Helena Marsh"). */
function sameAnswer(a: string, b: string): boolean {
  const [x, y] = [` ${normalizeAnswer(a)} `, ` ${normalizeAnswer(b)} `];
  return x.includes(y) || y.includes(x);
}

/** Whether a is newer than b: the later `published_at` where both documents have one, else the later indexing. */
function newerThan(a: StoredPassage, b: StoredPassage): boolean {
  return a.publishedAt !== null && b.publishedAt !== null ? a.publishedAt > b.publishedAt : a.createdAt > b.createdAt;
}

/** |a ∩ b| / min(|a|, |b|). */
function overlap(a: Set<string>, b: Set<string>): number {
  const [small, large] = a.size <= b.size ? [a, b] : [b, a];
  let shared = 0;
  for (const w of small) if (large.has(w)) shared++;
  return shared / Math.max(small.size, 1);
}

/** (x - mean) / standard deviation; all zeros when the values do not vary. */
function standardised(xs: number[]): number[] {
  const mean = xs.reduce((s, x) => s + x, 0) / (xs.length || 1);
  const sd = Math.sqrt(xs.reduce((s, x) => s + (x - mean) ** 2, 0) / (xs.length || 1));
  return xs.map((x) => (sd > 1e-9 ? (x - mean) / sd : 0));
}

/** Both embeddings are L2-normalized, so the dot product is the cosine. */
export function cosine(a: Float32Array, b: Float32Array): number {
  let dot = 0;
  for (let i = 0; i < a.length; i++) dot += a[i] * b[i];
  return dot;
}
