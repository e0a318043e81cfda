// The document lifecycle's domain types, shared by every storage (memory/ over SQLite, edge/ over D1).

/** What the ingestion webhook accepts for one document (already validated). */
export interface DocumentInput {
  id: string;
  text: string;
  /** The collection the document belongs to ('default' when absent); keys are scoped to collections. */
  collection?: string;
  /**
   * The delivery's place in its sender's order (`X-Sequence`, else a signed delivery's timestamp); a
   * delivery older than the one that made the current version cannot replace it.
   */
  sequence?: number | null;
  title?: string | null;
  source?: string | null;
  url?: string | null;
  publishedAt?: number | null; // epoch ms
  metadata?: Record<string, unknown> | null;
}

export type VersionStatus = 'queued' | 'indexed' | 'superseded' | 'failed' | 'deleted';
export type DocumentStatus = 'queued' | 'indexed' | 'failed' | 'deleted';

export interface VersionRecord {
  version: number;
  contentSha256: string;
  status: VersionStatus;
  receivedAt: number;
  indexedAt: number | null;
  passages: number;
  error: string | null;
}

export interface DocumentRecord {
  id: string;
  collection: string;
  title: string | null;
  source: string | null;
  url: string | null;
  publishedAt: number | null;
  metadata: Record<string, unknown> | null;
  status: DocumentStatus;
  currentVersion: number;
  createdAt: number;
  updatedAt: number;
  deletedAt: number | null;
  versions: VersionRecord[];
}

export type UpsertResult =
  /** `queued`: new content, a job will index it; `unchanged`: same content as the current version. */
  | { id: string; version: number; outcome: 'queued' | 'unchanged'; status: DocumentStatus }
  /** The id is taken by a document in a collection the caller cannot write. */
  | { id: string; outcome: 'rejected'; error: { code: string; message: string } };

export interface FreshnessStats {
  documents: { total: number; indexed: number; queued: number; failed: number; deleted: number };
  versions: { superseded: number };
  passages: number;
  knowledge: { newestPublishedAt: number | null; oldestPublishedAt: number | null; newestIndexedAt: number | null };
  queue: { queued: number; running: number; failed: number; oldestQueuedAt: number | null };
  /** Per indexed version: published -> received and received -> indexed, in ms. */
  lags: { publishedToReceived: number[]; receivedToIndexed: number[]; publishedToIndexed: number[] };
  sources: { source: string; documents: number; lastReceivedAt: number; lastIndexedAt: number | null }[];
  /** The latest versions that failed for good, newest first. */
  failures: { documentId: string; version: number; error: string | null; at: number }[];
  /** The last 24 hours, per hour that indexed anything: versions indexed and their mean received -> indexed lag. */
  timeline: { hour: number; indexed: number; meanLagMs: number }[];
}

export interface ProbeRecord {
  documentId: string;
  version: number;
  question: string;
  expected: string;
  answer: string;
  f1: number;
  baseF1: number;
  at: number;
}

/** One line of a document listing. */
export interface DocumentSummary {
  id: string;
  collection: string;
  status: DocumentStatus;
  currentVersion: number;
  title: string | null;
  source: string | null;
  publishedAt: number | null;
  updatedAt: number;
}

export const DEFAULT_COLLECTION = 'default';

/** The collections a caller may see and write: every one ('*'), or these. */
export type Scope = '*' | readonly string[];

/** Which documents an answer or a listing may draw on; every field narrows. */
export interface DocumentFilter {
  /** Collections (already within the caller's scope); absent: every collection. */
  collections?: readonly string[];
  source?: string;
  /** Equality on top-level metadata keys. */
  metadata?: Record<string, string | number | boolean>;
  /** published_at in [from, to), epoch ms. */
  publishedFrom?: number;
  publishedTo?: number;
}

/** A collection and its live documents by status. */
export interface CollectionSummary {
  name: string;
  createdAt: number;
  documents: number;
  indexed: number;
  queued: number;
  failed: number;
  updatedAt: number | null;
}
