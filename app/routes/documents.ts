import { Hono } from 'hono';
import type { DocumentInput } from '../../memory/index.ts';
import { iso, issuePath, readJson } from '../body.ts';
import { ApiError, ErrorCode } from '../errors.ts';
import { ingestSchemaFor, listQuerySchema, type DocumentBody } from '../schemas.ts';
import type { Services } from '../services.ts';

export const toDocumentInput = (d: DocumentBody): DocumentInput => ({
  id: d.id, text: d.text, title: d.title, source: d.source, url: d.url,
  publishedAt: d.published_at ? Date.parse(d.published_at) : null, metadata: d.metadata,
});

/** The ingestion webhook: 202 once the documents are durably queued; the worker encodes them. */
export function documentRoutes(s: Services) {
  return new Hono()
    .post('/', async (c) => {
      const body = await readJson(c, ingestSchemaFor);
      const docs = 'documents' in body ? body.documents : [body];
      const ids = docs.map((d) => d.id);
      const duplicate = ids.find((id, i) => ids.indexOf(id) !== i);
      if (duplicate) throw new ApiError(422, ErrorCode.validationFailed, `Document id ${duplicate} appears twice in one batch.`);
      const results = await s.documents.upsert(docs.map(toDocumentInput), Date.now());
      const queued = results.filter((r) => r.outcome === 'queued').length;
      s.metrics.inc('mac_documents_received_total', 'Documents received by the webhook', {}, docs.length);
      s.metrics.inc('mac_documents_queued_total', 'Documents with new content queued for encoding', {}, queued);
      return c.json({ documents: results, queued }, 202);
    })
    .get('/', async (c) => {
      const q = listQuerySchema.safeParse(c.req.query());
      if (!q.success) throw new ApiError(422, ErrorCode.validationFailed, q.error.issues.map((i) => `${issuePath(i.path)}: ${i.message}`).join('; '));
      const { limit, cursor, source } = q.data;
      const rows = await s.documents.list({ source, after: cursor, limit: limit + 1 });
      const page = rows.slice(0, limit);
      return c.json({
        documents: page.map((d) => ({
          id: d.id, status: d.status, current_version: d.currentVersion, title: d.title, source: d.source,
          published_at: iso(d.publishedAt), updated_at: iso(d.updatedAt),
        })),
        next_cursor: rows.length > limit ? page[page.length - 1].id : null,
      });
    })
    .get('/:id/passages', async (c) => {
      if (!s.documents.passages) throw new ApiError(501, ErrorCode.notImplemented, 'Passages are kept by the inference servers; ask one of them.');
      const id = c.req.param('id');
      const doc = await s.documents.get(id);
      if (!doc || doc.status === 'deleted') throw new ApiError(404, ErrorCode.documentNotFound, `No document with id ${id}.`);
      const passages = await s.documents.passages(id);
      return c.json({ id, version: doc.currentVersion, passages: passages.map((p) => ({ passage_id: p.id, ordinal: p.ordinal, text: p.text })) });
    })
    .get('/:id', async (c) => {
      const doc = await s.documents.get(c.req.param('id'));
      if (!doc) throw new ApiError(404, ErrorCode.documentNotFound, `No document with id ${c.req.param('id')}.`);
      return c.json({
        id: doc.id, status: doc.status, current_version: doc.currentVersion, title: doc.title, source: doc.source, url: doc.url,
        published_at: iso(doc.publishedAt), metadata: doc.metadata, created_at: iso(doc.createdAt), updated_at: iso(doc.updatedAt),
        deleted_at: iso(doc.deletedAt),
        versions: doc.versions.map((v) => ({
          version: v.version, content_sha256: v.contentSha256, status: v.status, received_at: iso(v.receivedAt),
          indexed_at: iso(v.indexedAt), passages: v.passages, error: v.error,
        })),
      });
    })
    .delete('/:id', async (c) => {
      const deleted = await s.documents.delete(c.req.param('id'), Date.now());
      if (!deleted) throw new ApiError(404, ErrorCode.documentNotFound, `No document with id ${c.req.param('id')}.`);
      s.metrics.inc('mac_documents_deleted_total', 'Documents forgotten');
      return c.json({ id: c.req.param('id'), status: 'deleted', passages_removed: deleted.passagesRemoved });
    });
}
