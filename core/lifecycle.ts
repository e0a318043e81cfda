import { DEFAULT_COLLECTION, type CollectionSummary, type DocumentFilter, type DocumentInput, type DocumentRecord, type DocumentStatus, type DocumentSummary, type FreshnessStats, type Scope, type VersionStatus } from './types.ts';

/**
 * The document lifecycle, written once for both storages that speak SQLite: better-sqlite3 on the
 * inference servers (memory/sqlite-store.ts) and D1 at the Worker edge (edge/documents.ts, edge/consumer.ts).
 *
 *   new content ─► version N `queued` (older queued versions `superseded`)
 *   indexed     ─► version N `indexed`, older versions `superseded`, document `indexed`
 *   retries out ─► version N `failed`, document `failed` (new content, even the same, is taken again)
 *   DELETE      ─► a tombstone: id, versions' hashes and times, deleted_at; no title, source, url, metadata
 *   same content ─► no new version; the descriptive fields (source, url, published_at, metadata,
 *                  collection) are updated in place, so filters see them at once
 *
 * A document belongs to one collection; a caller writes, reads and deletes only within its scope.
 * Each transition is a list of statements that the storage runs in one transaction, beside what only
 * it keeps (the text or its R2 key, jobs, passages). Reads are queries whose rows map to the domain
 * types here. Both schemas (memory/schema.ts, edge/migrations/) share the `documents` columns and these
 * `versions` columns: document_id, version, content_sha256, status, published_at, received_at, sequence,
 * indexed_at, passages, error.
 */
export interface Statement {
  sql: string;
  args: unknown[];
}

/** What a version's content hash covers (sha256, hex, of this string): a retitled document is new content. */
export const hashedContent = (doc: DocumentInput) => JSON.stringify([doc.title ?? null, doc.text]);

export interface CurrentVersion {
  status: DocumentStatus;
  collection: string;
  current_version: number;
  content_sha256: string | null;
  sequence: number | null;
}

export const inScope = (collection: string, scope: Scope) => scope === '*' || scope.includes(collection);
export const collectionOf = (doc: DocumentInput) => doc.collection ?? DEFAULT_COLLECTION;

export const currentVersionQuery = (id: string): Statement => ({
  sql: `SELECT d.status, d.collection, d.current_version, v.content_sha256, v.sequence FROM documents d
        LEFT JOIN versions v ON v.document_id = d.id AND v.version = d.current_version WHERE d.id = ?`,
  args: [id],
});

export type UpsertPlan =
  | { outcome: 'unchanged'; version: number; status: DocumentStatus }
  | { outcome: 'queued'; version: number }
  | { outcome: 'rejected'; error: { code: string; message: string } };

/**
 * The version rule: the live current version's content again changes nothing; anything else is the next
 * version. A live document in a collection outside the caller's scope is not the caller's to write (a
 * caller that holds both collections moves it). New content from a delivery older, in its sender's order,
 * than the one that made the current version is stale: versions never go backwards.
 */
export function planUpsert(current: CurrentVersion | null | undefined, hash: string, doc: DocumentInput, scope: Scope = '*'): UpsertPlan {
  if (current && current.status !== 'deleted' && !inScope(current.collection, scope)) {
    return { outcome: 'rejected', error: { code: 'forbidden_collection', message: `${doc.id}: the id belongs to a collection this key cannot write` } };
  }
  if (current && current.status !== 'deleted' && current.status !== 'failed' && current.content_sha256 === hash) {
    return { outcome: 'unchanged', version: current.current_version, status: current.status };
  }
  if (current && current.status !== 'deleted' && doc.sequence != null && current.sequence != null && doc.sequence < current.sequence) {
    return {
      outcome: 'rejected',
      error: { code: 'stale_delivery', message: `${doc.id}: delivery ${doc.sequence} is older than ${current.sequence}, which made version ${current.current_version}` },
    };
  }
  return { outcome: 'queued', version: (current?.current_version ?? 0) + 1 };
}

/** Same content, new description: the document's descriptive fields, updated only where they differ. */
export function describeStatements(doc: DocumentInput, at: number): Statement[] {
  const fields = [collectionOf(doc), doc.source ?? null, doc.url ?? null, doc.publishedAt ?? null, doc.metadata ? JSON.stringify(doc.metadata) : null];
  return [createCollectionStatement(collectionOf(doc), at), {
    sql: `UPDATE documents SET collection = ?, source = ?, url = ?, published_at = ?, metadata = ?, updated_at = ?
          WHERE id = ? AND (collection IS NOT ? OR source IS NOT ? OR url IS NOT ? OR published_at IS NOT ? OR metadata IS NOT ?)`,
    args: [...fields, at, doc.id, ...fields],
  }];
}

/**
 * New content as version `version`: the document row (created, updated or undeleted), older queued
 * versions superseded, and the version row with the storage's own columns (`stored`: its text, or its key).
 */
export function upsertStatements(doc: DocumentInput, version: number, hash: string, at: number, stored: Record<string, unknown>): Statement[] {
  const columns = Object.keys(stored);
  return [
    {
      sql: `INSERT INTO documents (id, collection, title, source, url, published_at, metadata, status, current_version, created_at, updated_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, 'queued', ?, ?, ?)
            ON CONFLICT(id) DO UPDATE SET collection = excluded.collection, title = excluded.title, source = excluded.source, url = excluded.url,
              published_at = excluded.published_at, metadata = excluded.metadata, status = 'queued',
              current_version = excluded.current_version, updated_at = excluded.updated_at, deleted_at = NULL`,
      args: [doc.id, collectionOf(doc), doc.title ?? null, doc.source ?? null, doc.url ?? null, doc.publishedAt ?? null,
        doc.metadata ? JSON.stringify(doc.metadata) : null, version, at, at],
    },
    createCollectionStatement(collectionOf(doc), at),
    { sql: `UPDATE versions SET status = 'superseded' WHERE document_id = ? AND status = 'queued'`, args: [doc.id] },
    {
      sql: `INSERT INTO versions (document_id, version, content_sha256, status, published_at, received_at, sequence${columns.map((c) => `, ${c}`).join('')})
            VALUES (?, ?, ?, 'queued', ?, ?, ?${columns.map(() => ', ?').join('')})`,
      args: [doc.id, version, hash, doc.publishedAt ?? null, at, doc.sequence ?? null, ...Object.values(stored)],
    },
  ];
}

/** Version `version` holds `passages` passages in memory; run only while it is the document's current one. */
export function indexedStatements(id: string, version: number, passages: number, at: number): Statement[] {
  return [
    { sql: `UPDATE versions SET status = 'superseded' WHERE document_id = ? AND version < ? AND status IN ('queued', 'indexed')`, args: [id, version] },
    { sql: `UPDATE versions SET status = 'indexed', indexed_at = ?, passages = ?, error = NULL WHERE document_id = ? AND version = ? AND status = 'queued'`, args: [at, passages, id, version] },
    { sql: `UPDATE documents SET status = 'indexed', updated_at = ? WHERE id = ? AND current_version = ? AND status = 'queued'`, args: [at, id, version] },
  ];
}

/** Version `version` failed for good (its retries are spent); `error` null keeps the last one recorded. */
export function failedStatements(id: string, version: number, error: string | null, at: number): Statement[] {
  return [
    {
      sql: `UPDATE versions SET status = 'failed', error = COALESCE(?, error, 'retries exhausted') WHERE document_id = ? AND version = ? AND status = 'queued'`,
      args: [error, id, version],
    },
    { sql: `UPDATE documents SET status = 'failed', updated_at = ? WHERE id = ? AND current_version = ? AND status = 'queued'`, args: [at, id, version] },
  ];
}

/** Forgets a document: what remains is a tombstone, so the deletion itself stays auditable. */
export function tombstoneStatements(id: string, at: number): Statement[] {
  return [
    { sql: `UPDATE versions SET status = 'deleted' WHERE document_id = ?`, args: [id] },
    {
      sql: `UPDATE documents SET status = 'deleted', deleted_at = ?, updated_at = ?, title = NULL, source = NULL, url = NULL,
            published_at = NULL, metadata = NULL WHERE id = ?`,
      args: [at, at, id],
    },
  ];
}

type Row = Record<string, any>;

/** `column IN (the values)`, the list bound as one JSON parameter (SQLite and D1 alike). */
const inList = (column: string, values: readonly string[]): Statement => ({
  sql: `${column} IN (SELECT value FROM json_each(?))`, args: [JSON.stringify(values)],
});

/**
 * Collections are registered when created (POST /v1/collections) or when a document first names one;
 * the `collections` table (both schemas) lists them, empty ones too.
 */
export const createCollectionStatement = (name: string, at: number): Statement => ({
  sql: 'INSERT INTO collections (name, created_at) VALUES (?, ?) ON CONFLICT (name) DO NOTHING', args: [name, at],
});
export const dropCollectionStatement = (name: string): Statement => ({ sql: 'DELETE FROM collections WHERE name = ?', args: [name] });

/** Collections within the caller's scope (absent: all), with their live documents by status. */
export function collectionsQuery(collections?: readonly string[]): Statement {
  const where = collections ? inList('c.name', collections) : { sql: '1', args: [] };
  return {
    sql: `SELECT c.name, c.created_at, COUNT(d.id) AS documents, COALESCE(SUM(d.status = 'indexed'), 0) AS indexed,
            COALESCE(SUM(d.status = 'queued'), 0) AS queued, COALESCE(SUM(d.status = 'failed'), 0) AS failed, MAX(d.updated_at) AS updated_at
          FROM collections c LEFT JOIN documents d ON d.collection = c.name AND d.status != 'deleted'
          WHERE ${where.sql} GROUP BY c.name ORDER BY c.name`,
    args: where.args,
  };
}

export const toCollectionSummary = (r: Row): CollectionSummary => ({
  name: r.name, createdAt: r.created_at, documents: r.documents, indexed: r.indexed, queued: r.queued, failed: r.failed, updatedAt: r.updated_at ?? null,
});

export const documentQuery = (id: string): Statement => ({ sql: 'SELECT * FROM documents WHERE id = ?', args: [id] });
export const versionsQuery = (id: string): Statement => ({
  sql: 'SELECT version, content_sha256, status, received_at, indexed_at, passages, error FROM versions WHERE document_id = ? ORDER BY version',
  args: [id],
});

export function toDocumentRecord(d: Row, versions: Row[]): DocumentRecord {
  return {
    id: d.id, collection: d.collection, title: d.title, source: d.source, url: d.url, publishedAt: d.published_at,
    metadata: d.metadata ? JSON.parse(d.metadata) : null, status: d.status, currentVersion: d.current_version,
    createdAt: d.created_at, updatedAt: d.updated_at, deletedAt: d.deleted_at,
    versions: versions.map((v) => ({
      version: v.version, contentSha256: v.content_sha256, status: v.status as VersionStatus, receivedAt: v.received_at,
      indexedAt: v.indexed_at, passages: v.passages, error: v.error,
    })),
  };
}

/** Whether a filter leaves any document out (its condition is more than "1"). */
export const filterRestricts = (f: DocumentFilter = {}): boolean => filterCondition(f).sql !== '1';

/**
 * The SQL condition on `documents d` that a filter makes (always true for an empty filter). Metadata keys
 * are checked by the request schema (letters, digits, _ . -) and quoted here as a JSON path.
 */
export function filterCondition(f: DocumentFilter = {}): Statement {
  const parts: string[] = [];
  const args: unknown[] = [];
  if (f.collections) {
    const within = inList('d.collection', f.collections);
    parts.push(within.sql);
    args.push(...within.args);
  }
  if (f.source !== undefined) {
    parts.push('d.source = ?');
    args.push(f.source);
  }
  for (const [key, value] of Object.entries(f.metadata ?? {})) {
    parts.push('json_extract(d.metadata, ?) = ?');
    args.push(`$."${key}"`, typeof value === 'boolean' ? Number(value) : value);
  }
  if (f.publishedFrom !== undefined) {
    parts.push('d.published_at >= ?');
    args.push(f.publishedFrom);
  }
  if (f.publishedTo !== undefined) {
    parts.push('d.published_at < ?');
    args.push(f.publishedTo);
  }
  return { sql: parts.length ? parts.join(' AND ') : '1', args };
}

/** Documents not deleted, by id, after the cursor (an id), matching the filter. */
export function listQuery(options: { filter?: DocumentFilter; after?: string; limit: number }): Statement {
  const where = filterCondition(options.filter);
  return {
    sql: `SELECT d.id, d.collection, d.status, d.current_version, d.title, d.source, d.published_at, d.updated_at FROM documents d
          WHERE d.status != 'deleted' AND d.id > ? AND ${where.sql} ORDER BY d.id LIMIT ?`,
    args: [options.after ?? '', ...where.args, options.limit],
  };
}

/** One document a storage holds, as the edge and its replicas compare them (edge/refill.ts). */
export interface Holding {
  id: string;
  status: DocumentStatus;
  current_version: number;
  content_sha256: string;
}

/** Live documents in id order with their current version's hash: what each side of a refill lists. */
export const holdingsQuery = (after: string, limit: number): Statement => ({
  sql: `SELECT d.id, d.status, d.current_version, v.content_sha256 FROM documents d JOIN versions v ON v.document_id = d.id AND v.version = d.current_version
        WHERE d.status != 'deleted' AND d.id > ? ORDER BY d.id LIMIT ?`,
  args: [after, limit],
});

/** How many documents have their current version indexed: where a replica and the edge agree, no refill scan runs. */
export const indexedCountQuery = (): Statement => ({ sql: "SELECT COUNT(*) AS n FROM documents WHERE status = 'indexed'", args: [] });

export const toDocumentSummary = (r: Row): DocumentSummary => ({
  id: r.id, collection: r.collection, status: r.status, currentVersion: r.current_version, title: r.title, source: r.source,
  publishedAt: r.published_at, updatedAt: r.updated_at,
});

/** The freshness queries both storages run, within the caller's collections; what only one knows (its queue, its passages) it adds itself. */
export function freshnessQueries(collections?: readonly string[], now = Date.now()) {
  const scope = filterCondition({ collections });
  const q = (sql: string, ...before: unknown[]): Statement => ({ sql, args: [...before, ...scope.args] });
  return {
    failures: q(`SELECT v.document_id, v.version, v.error, v.received_at AS at FROM versions v JOIN documents d ON d.id = v.document_id
          WHERE v.status = 'failed' AND ${scope.sql} ORDER BY v.received_at DESC LIMIT 10`),
    timeline: q(`SELECT (v.indexed_at / 3600000) * 3600000 AS hour, COUNT(*) AS indexed, AVG(v.indexed_at - v.received_at) AS lag
          FROM versions v JOIN documents d ON d.id = v.document_id WHERE v.indexed_at >= ? AND ${scope.sql} GROUP BY 1 ORDER BY 1`,
      now - 24 * 3_600_000),
    byStatus: q(`SELECT d.status, COUNT(*) AS n FROM documents d WHERE ${scope.sql} GROUP BY d.status`),
    superseded: q(`SELECT COUNT(*) AS n FROM versions v JOIN documents d ON d.id = v.document_id WHERE v.status = 'superseded' AND ${scope.sql}`),
    knowledge: q(`SELECT MAX(d.published_at) AS newest, MIN(d.published_at) AS oldest, MAX(v.indexed_at) AS indexed
          FROM documents d JOIN versions v ON v.document_id = d.id AND v.version = d.current_version WHERE d.status = 'indexed' AND ${scope.sql}`),
    lags: q(`SELECT v.published_at, v.received_at, v.indexed_at FROM versions v JOIN documents d ON d.id = v.document_id
          WHERE v.indexed_at IS NOT NULL AND ${scope.sql} ORDER BY v.indexed_at DESC LIMIT 10000`),
    sources: q(`SELECT COALESCE(d.source, '(none)') AS source, COUNT(*) AS documents, MAX(v.received_at) AS last_received,
          MAX(v.indexed_at) AS last_indexed FROM documents d JOIN versions v ON v.document_id = d.id AND v.version = d.current_version
          WHERE d.status != 'deleted' AND ${scope.sql} GROUP BY 1 ORDER BY 1`),
  };
}

export interface FreshnessRows {
  failures: Row[];
  timeline: Row[];
  byStatus: Row[];
  superseded: Row[];
  knowledge: Row[];
  lags: Row[];
  sources: Row[];
  passages: number;
  queue: FreshnessStats['queue'];
}

export function freshnessStats(r: FreshnessRows): FreshnessStats {
  const count = Object.fromEntries(r.byStatus.map((row) => [row.status, row.n as number])) as Partial<Record<DocumentStatus, number>>;
  const k = r.knowledge[0] ?? {};
  const published = r.lags.filter((row) => row.published_at != null);
  return {
    documents: {
      total: (count.indexed ?? 0) + (count.queued ?? 0) + (count.failed ?? 0),
      indexed: count.indexed ?? 0, queued: count.queued ?? 0, failed: count.failed ?? 0, deleted: count.deleted ?? 0,
    },
    versions: { superseded: r.superseded[0]?.n ?? 0 },
    passages: r.passages,
    knowledge: { newestPublishedAt: k.newest ?? null, oldestPublishedAt: k.oldest ?? null, newestIndexedAt: k.indexed ?? null },
    queue: r.queue,
    lags: {
      publishedToReceived: published.map((row) => row.received_at - row.published_at),
      receivedToIndexed: r.lags.map((row) => row.indexed_at - row.received_at),
      publishedToIndexed: published.map((row) => row.indexed_at - row.published_at),
    },
    sources: r.sources.map((row) => ({ source: row.source, documents: row.documents, lastReceivedAt: row.last_received, lastIndexedAt: row.last_indexed })),
    failures: r.failures.map((row) => ({ documentId: row.document_id, version: row.version, error: row.error, at: row.at })),
    timeline: r.timeline.map((row) => ({ hour: row.hour, indexed: row.indexed, meanLagMs: row.lag })),
  };
}
