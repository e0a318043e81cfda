import { toHex, type DocumentsPort } from '../app/index.ts';
import type { DocumentInput, DocumentRecord, DocumentStatus, UpsertResult, VersionStatus } from '../memory/types.ts';
import type { Env } from './env.ts';
import type { InferenceClient } from './inference.ts';

export const textKey = (id: string, version: number) => `documents/${encodeURIComponent(id)}/v${version}.txt`;

async function sha256(text: string): Promise<string> {
  return toHex(new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text))));
}

interface DocumentRow {
  id: string; title: string | null; source: string | null; url: string | null; published_at: number | null; metadata: string | null;
  status: DocumentStatus; current_version: number; created_at: number; updated_at: number; deleted_at: number | null;
}
interface VersionRow {
  version: number; content_sha256: string; status: VersionStatus; received_at: number; indexed_at: number | null; passages: number; error: string | null;
}

/**
 * Documents at the edge: text in R2, metadata and version state in D1, work on the ingestion queue.
 * Order matters for durability: R2 first (D1 never points at missing text), then the D1 batch (one
 * transaction), then the queue. A failed enqueue leaves the version `queued` in D1, and the cron sweep
 * enqueues it again.
 */
export function d1Documents(env: Env, inference: InferenceClient): DocumentsPort {
  return {
    async upsert(docs: DocumentInput[], receivedAt: number): Promise<UpsertResult[]> {
      const results: UpsertResult[] = [];
      const statements: D1PreparedStatement[] = [];
      for (const doc of docs) {
        const hash = await sha256(doc.text);
        const current = await env.DB.prepare(
          `SELECT d.status, d.current_version, v.content_sha256 FROM documents d
           LEFT JOIN versions v ON v.document_id = d.id AND v.version = d.current_version WHERE d.id = ?`,
        ).bind(doc.id).first<{ status: DocumentStatus; current_version: number; content_sha256: string | null }>();
        if (current && current.status !== 'deleted' && current.status !== 'failed' && current.content_sha256 === hash) {
          results.push({ id: doc.id, version: current.current_version, outcome: 'unchanged', status: current.status });
          continue;
        }
        const version = (current?.current_version ?? 0) + 1;
        const key = textKey(doc.id, version);
        await env.TEXTS.put(key, doc.text, { customMetadata: { documentId: doc.id, version: String(version), sha256: hash } });
        statements.push(
          env.DB.prepare(
            `INSERT INTO documents (id, title, source, url, published_at, metadata, status, current_version, created_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'queued', ?7, ?8, ?8)
             ON CONFLICT(id) DO UPDATE SET title = ?2, source = ?3, url = ?4, published_at = ?5, metadata = ?6,
               status = 'queued', current_version = ?7, updated_at = ?8, deleted_at = NULL`,
          ).bind(doc.id, doc.title ?? null, doc.source ?? null, doc.url ?? null, doc.publishedAt ?? null,
            doc.metadata ? JSON.stringify(doc.metadata) : null, version, receivedAt),
          env.DB.prepare(`UPDATE versions SET status = 'superseded' WHERE document_id = ? AND status = 'queued'`).bind(doc.id),
          env.DB.prepare(
            `INSERT INTO versions (document_id, version, content_sha256, text_key, status, received_at) VALUES (?, ?, ?, ?, 'queued', ?)`,
          ).bind(doc.id, version, hash, key, receivedAt),
        );
        results.push({ id: doc.id, version, outcome: 'queued', status: 'queued' });
      }
      if (statements.length) await env.DB.batch(statements);
      const queued = results.filter((r) => r.outcome === 'queued').map((r) => ({ body: { documentId: r.id, version: r.version } }));
      if (queued.length) await env.INGEST_QUEUE.sendBatch(queued);
      return results;
    },

    async get(id: string): Promise<DocumentRecord | null> {
      const doc = await env.DB.prepare('SELECT * FROM documents WHERE id = ?').bind(id).first<DocumentRow>();
      if (!doc) return null;
      const { results: versions } = await env.DB.prepare(
        'SELECT version, content_sha256, status, received_at, indexed_at, passages, error FROM versions WHERE document_id = ? ORDER BY version DESC',
      ).bind(id).all<VersionRow>();
      return {
        id: doc.id, title: doc.title, source: doc.source, url: doc.url, publishedAt: doc.published_at,
        metadata: doc.metadata ? JSON.parse(doc.metadata) : null, status: doc.status, currentVersion: doc.current_version,
        createdAt: doc.created_at, updatedAt: doc.updated_at, deletedAt: doc.deleted_at,
        versions: versions.map((v) => ({
          version: v.version, contentSha256: v.content_sha256, status: v.status, receivedAt: v.received_at,
          indexedAt: v.indexed_at, passages: v.passages, error: v.error,
        })),
      };
    },

    async list(options: { source?: string; after?: string; limit: number }) {
      const { results } = await env.DB.prepare(`SELECT id, status, current_version, title, source, published_at, updated_at FROM documents
        WHERE status != 'deleted' AND id > ? AND (? IS NULL OR source = ?) ORDER BY id LIMIT ?`)
        .bind(options.after ?? '', options.source ?? null, options.source ?? null, options.limit).all<DocumentRow>();
      return results.map((r) => ({
        id: r.id, status: r.status, currentVersion: r.current_version, title: r.title, source: r.source, publishedAt: r.published_at, updatedAt: r.updated_at,
      }));
    },
    async delete(id: string, at: number) {
      const doc = await env.DB.prepare('SELECT status FROM documents WHERE id = ?').bind(id).first<{ status: DocumentStatus }>();
      if (!doc) return null;
      // Replicas first: if one cannot forget, D1 stays unchanged and the client retries the delete.
      const passagesRemoved = await inference.delete(id);
      const { results: keys } = await env.DB.prepare('SELECT text_key FROM versions WHERE document_id = ?').bind(id).all<{ text_key: string }>();
      await env.DB.batch([
        // a tombstone, as on the inference servers: no title, source, url or metadata survive
        env.DB.prepare(`UPDATE documents SET status = 'deleted', deleted_at = ?, updated_at = ?, title = NULL, source = NULL, url = NULL,
          metadata = NULL WHERE id = ?`).bind(at, at, id),
        env.DB.prepare(`UPDATE versions SET status = 'deleted' WHERE document_id = ?`).bind(id),
      ]);
      if (keys.length) await env.TEXTS.delete(keys.map((k) => k.text_key));
      return { passagesRemoved };
    },
  };
}
