import type { CollectionSummary, DocumentFilter, DocumentInput, DocumentRecord, DocumentSummary, FreshnessStats, ProbeRecord, Scope, UpsertResult } from '../core/types.ts';
import type { AnswerRequest, AnswerResponse } from './schemas.ts';

/**
 * What the HTTP core needs from a runtime. The Node entry implements these over SQLite, hnswlib and
 * onnxruntime in-process; the Worker entry over D1, R2 and Queues, forwarding model work to inference
 * servers. Every method is async so that both fit.
 */
export interface DocumentsPort {
  /**
   * Durably records the documents and queues new content for encoding before it resolves; an id held by
   * a live document outside `scope` is rejected.
   */
  upsert(docs: DocumentInput[], receivedAt: number, scope: Scope): Promise<UpsertResult[]>;
  get(id: string): Promise<DocumentRecord | null>;
  /** Documents not deleted, by id, after the cursor, matching the filter; `limit + 1` are asked for to know if more follow. */
  list(options: { filter: DocumentFilter; after?: string; limit: number }): Promise<DocumentSummary[]>;
  /** The stored passages of the current version (where the runtime keeps them; the edge does not). */
  passages?(id: string): Promise<{ id: number; version: number; ordinal: number; text: string }[]>;
  /** Forgets a document everywhere it is stored; null if unknown. */
  delete(id: string, at: number): Promise<{ passagesRemoved: number } | null>;
  /** Collections within these (absent: all), with their live documents by status. */
  collections(collections?: readonly string[]): Promise<CollectionSummary[]>;
  /** Registers a collection; false if it existed. */
  createCollection(name: string, at: number): Promise<boolean>;
  /** Unregisters a collection whose documents were deleted; false if unknown. */
  dropCollection(name: string): Promise<boolean>;
}

/** Who asks and what the answer may draw on, beside the request itself. */
export interface AnswerContext {
  /** The collections (within the caller's scope) and the document conditions the answer may draw on. */
  filter: DocumentFilter;
  /** The caller (its key) for fair sharing of the answer slots. */
  caller: string;
  /** Receives generated text as it is produced (streaming). */
  onText?: (text: string) => void;
  /** Fires when the caller goes away: the answer stops at its next token. */
  signal?: AbortSignal;
}

export interface AnswersPort {
  answer(req: AnswerRequest, context: AnswerContext): Promise<AnswerResponse>;
}

export interface FreshnessPort {
  /** Within these collections (absent: all). */
  stats(collections?: readonly string[]): Promise<FreshnessStats>;
  recentProbes(limit: number, collections?: readonly string[]): Promise<ProbeRecord[]>;
  /** Answers served per hour since `since` (all callers together); absent where the runtime does not count them. */
  answerHours?(since: number): Promise<{ hour: number; answers: number }[]>;
}

/** Remembers webhook signatures for the replay window, so each is accepted once. */
export interface ReplayGuard {
  /** True the first time a signature is seen; false for a replay. */
  firstUse(signature: string, expiresAt: number, now: number): Promise<boolean>;
}

/** One process's memory of signatures: enough for a single server. */
export function memoryReplayGuard(): ReplayGuard {
  const seen = new Map<string, number>();
  return {
    async firstUse(signature, expiresAt, now) {
      for (const [sig, expiry] of seen) if (expiry < now) seen.delete(sig);
      if (seen.has(signature)) return false;
      seen.set(signature, expiresAt);
      return true;
    },
  };
}
