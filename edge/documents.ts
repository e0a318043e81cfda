import { toHex, type DocumentsPort } from '../app/index.ts';
import {
  collectionsQuery, createCollectionStatement, dropCollectionStatement, toCollectionSummary, currentVersionQuery, describeStatements, documentQuery, hashedContent, listQuery, planUpsert, toDocumentRecord, toDocumentSummary,
  tombstoneStatements, upsertStatements, versionsQuery, type CurrentVersion, type Statement,
} from '../core/lifecycle.ts';
import type { DocumentInput, DocumentRecord, UpsertResult } from '../core/types.ts';
import type { Env } from './env.ts';
import type { InferenceClient } from './inference.ts';

export const textKey = (id: string, version: number) => `documents/${encodeURIComponent(id)}/v${version}.txt`;

async function sha256(text: string): Promise<string> {
  return toHex(new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text))));
}

/** The lifecycle's statements (core/lifecycle.ts) as D1 prepared statements. */
export const d1 = (db: D1Database, st: Statement) => db.prepare(st.sql).bind(...st.args);

/**
 * Documents at the edge: text in R2, metadata and version state in D1, work on the ingestion queue.
 * Order matters for durability: R2 first (D1 never points at missing text), then the D1 batch (one
 * transaction), then the queue. A failed enqueue leaves the version `queued` in D1, and the cron sweep
 * enqueues it again.
 */
export function d1Documents(env: Env, inference: InferenceClient): DocumentsPort {
  return {
    async upsert(docs: DocumentInput[], receivedAt: number, scope): Promise<UpsertResult[]> {
      const results: UpsertResult[] = [];
      const statements: D1PreparedStatement[] = [];
      for (const doc of docs) {
        const hash = await sha256(hashedContent(doc));
        const plan = planUpsert(await d1(env.DB, currentVersionQuery(doc.id)).first<CurrentVersion>(), hash, doc, scope);
        if (plan.outcome === 'rejected') {
          results.push({ id: doc.id, ...plan });
          continue;
        }
        if (plan.outcome === 'unchanged') {
          statements.push(...describeStatements(doc, receivedAt).map((st) => d1(env.DB, st)));
          results.push({ id: doc.id, ...plan });
          continue;
        }
        const key = textKey(doc.id, plan.version);
        await env.TEXTS.put(key, doc.text, { customMetadata: { documentId: doc.id, version: String(plan.version), sha256: hash } });
        statements.push(...upsertStatements(doc, plan.version, hash, receivedAt, { text_key: key }).map((st) => d1(env.DB, st)));
        results.push({ id: doc.id, version: plan.version, outcome: 'queued', status: 'queued' });
      }
      if (statements.length) await env.DB.batch(statements);
      const queued = results.flatMap((r) => (r.outcome === 'queued' ? [{ body: { documentId: r.id, version: r.version } }] : []));
      if (queued.length) await env.INGEST_QUEUE.sendBatch(queued);
      return results;
    },

    async get(id: string): Promise<DocumentRecord | null> {
      const doc = await d1(env.DB, documentQuery(id)).first();
      if (!doc) return null;
      const { results: versions } = await d1(env.DB, versionsQuery(id)).all();
      return toDocumentRecord(doc, versions);
    },

    async list(options) {
      const { results } = await d1(env.DB, listQuery(options)).all();
      return results.map(toDocumentSummary);
    },

    async delete(id: string, at: number) {
      const doc = await d1(env.DB, documentQuery(id)).first();
      if (!doc) return null;
      // Replicas first: if one cannot forget, D1 stays unchanged and the client retries the delete.
      const passagesRemoved = await inference.delete(id);
      const { results: keys } = await env.DB.prepare('SELECT text_key FROM versions WHERE document_id = ?').bind(id).all<{ text_key: string }>();
      await env.DB.batch(tombstoneStatements(id, at).map((st) => d1(env.DB, st)));
      if (keys.length) await env.TEXTS.delete(keys.map((k) => k.text_key));
      return { passagesRemoved };
    },
    async collections(collections) {
      const { results } = await d1(env.DB, collectionsQuery(collections)).all();
      return results.map(toCollectionSummary);
    },
    async createCollection(name, at) {
      return ((await d1(env.DB, createCollectionStatement(name, at)).run()).meta.changes ?? 0) === 1;
    },
    async dropCollection(name) {
      return ((await d1(env.DB, dropCollectionStatement(name)).run()).meta.changes ?? 0) === 1;
    },
  };
}
