import type { CollectionSummary, DocumentFilter, DocumentInput, DocumentRecord, DocumentSummary, FreshnessStats, ProbeRecord, Scope, UpsertResult } from '../core/types.ts';

import type { Holding } from '../core/lifecycle.ts';

export type * from '../core/types.ts';

export interface Job {
  id: number;
  documentId: string;
  version: number;
  text: string;
  title: string | null;
  attempts: number;
}

export interface NewPassage {
  text: string;
  /** In the store's codec (the encoder quantizes, on its own thread). */
  memory: StoredMemory;
  embedding: Float32Array;
  /** Its sentences' embeddings, [sentences * E] (empty: one sentence); absent where not computed. */
  sentenceEmbeddings?: Float32Array;
}

export interface StoredPassage {
  id: number;
  documentId: string;
  version: number;
  ordinal: number;
  text: string;
  title: string | null;
  source: string | null;
  /** The passage's memory as stored; decoded where it is read (the LM thread), not on the event loop. */
  memory: StoredMemory;
  embedding: Float32Array;
  /** Its sentences' embeddings, [sentences * E], empty for one sentence; null in banks made before they were stored (until `npm run reindex`). */
  sentenceEmbeddings: Float32Array | null;
  createdAt: number;
  /** Its document's `published_at` (ms), where the sender gave one. */
  publishedAt: number | null;
}

/** How passage memories can be stored (memory/codec.ts). */
export const CODECS = ['q8', 'q4', 'fp16', 'fp32'] as const;
export type Codec = (typeof CODECS)[number];

export interface StoredMemory {
  codec: Codec;
  bytes: Uint8Array;
}

/** What the vector index must learn from a finished job or a deletion. */
export interface IndexChange {
  added: { id: number; embedding: Float32Array }[];
  removed: number[];
}

export interface CompletedJob extends IndexChange {
  /** False when the document was deleted or superseded while the job ran: nothing was stored. */
  stored: boolean;
}

export interface MemoryStore {
  /** `scope`: the collections the caller may write (a live document elsewhere is rejected). */
  upsertDocuments(docs: DocumentInput[], receivedAt: number, scope?: Scope): UpsertResult[];
  getDocument(id: string): DocumentRecord | null;
  /** Documents not deleted, by id, after `after` (an id), matching the filter. */
  listDocuments(options: { filter?: DocumentFilter; after?: string; limit: number }): DocumentSummary[];
  /** Live documents by id after `after`, with their current version's hash, and how many are indexed: what a refill compares. */
  holdings(after: string, limit: number): { indexed: number; documents: Holding[] };
  /** Collections within these (absent: all), with their live documents by status. */
  collections(collections?: readonly string[]): CollectionSummary[];
  createCollection(name: string, at: number): boolean;
  dropCollection(name: string): boolean;
  /** Passages of live documents that match the filter; null when it lets everything through. */
  passagesMatching(filter: DocumentFilter): Set<number> | null;
  /** The passages of a document's current version, in order (none once deleted). */
  documentPassages(id: string): { id: number; version: number; ordinal: number; text: string }[];
  /** Forgets a document: its passages are removed; returns what the index must drop, or null if unknown. */
  deleteDocument(id: string, at: number): IndexChange | null;
  claimJobs(limit: number, at: number): Job[];
  completeJob(job: Job, passages: NewPassage[], at: number): CompletedJob;
  failJob(job: Job, error: string, at: number, maxAttempts: number): void;
  /** After a crash, jobs left `running` go back to the queue. */
  requeueRunning(): number;
  getPassages(ids: number[]): StoredPassage[];
  passageEmbeddings(afterId: number, limit: number): { id: number; embedding: Float32Array }[];
  passageIds(): number[];
  maxPassageId(): number;
  /** SQLite FTS5 hits for the query's words by BM25 (higher is better), among the given passages when `among` is set. */
  keywordSearch(query: string, k: number, among?: number[]): { id: number; score: number }[];
  /** The embeddings (the passage's, its sentences') of those of the passages that are live (their document not deleted). */
  embeddingsOf(ids: number[]): Map<number, Pick<StoredPassage, 'embedding' | 'sentenceEmbeddings'>>;
  recentlyIndexed(limit: number): { documentId: string; version: number; text: string }[];
  recordProbe(probe: ProbeRecord): void;
  recentProbes(limit: number, collections?: readonly string[]): ProbeRecord[];
  /** Within these collections (absent: all). */
  freshness(collections?: readonly string[]): FreshnessStats;
  recordAnswer(mode: string, at: number): void;
  answerHours(since: number): { hour: number; answers: number }[];
  queueDepth(): number;
  storageBytes(): { modulation: number; embedding: number; sentenceEmbeddings: number; text: number; passages: number };
  close(): void;
}
