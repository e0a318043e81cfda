import { Hono } from 'hono';
import { htmlToText } from '../../core/html-text.ts';
import { collectionOf, inScope } from '../../core/lifecycle.ts';
import type { DocumentInput } from '../../core/types.ts';
import { scopeOf } from '../auth.ts';
import { iso, issuePath, readJson } from '../body.ts';
import { ApiError, ErrorCode } from '../errors.ts';
import { collectionsFor, visible } from '../scope.ts';
import { documentSchema, ingestSchemaFor, listQuerySchema, type DocumentBody } from '../schemas.ts';
import type { Services } from '../services.ts';

export const toDocumentInput = (d: DocumentBody): DocumentInput => ({
  id: d.id, collection: d.collection, text: d.text, title: d.title, source: d.source, url: d.url,
  publishedAt: d.published_at ? Date.parse(d.published_at) : null, metadata: d.metadata,
});

export const SEQUENCE_HEADER = 'x-sequence';

/** A delivery's place in its sender's order: `X-Sequence` (a non-negative integer), else a signed delivery's timestamp. */
function deliverySequence(header: string | undefined, signedAt: number | undefined): number | null {
  if (header === undefined) return signedAt ?? null;
  if (!/^\d{1,15}$/.test(header.trim())) throw new ApiError(422, ErrorCode.validationFailed, 'X-Sequence: a non-negative integer, increasing with each delivery of a sender');
  return Number(header.trim());
}

/** The ingestion webhook: 202 once the documents are durably queued; the worker encodes them. */
interface Rejected {
  index: number;
  id: string | null;
  outcome: 'rejected';
  error: { code: string; message: string };
}
type Entry = Rejected | { index: number; doc: DocumentBody };

export function documentRoutes(s: Services) {
  return new Hono()
    .post('/', async (c) => {
      const body = await readJson(c, ingestSchemaFor);
      const scope = scopeOf(c);
      const sequence = deliverySequence(c.req.header(SEQUENCE_HEADER), c.get('signedAt'));
      const items: unknown[] = 'documents' in body ? body.documents : [body];
      // Each document of a batch stands alone: the valid ones are queued, the others answered with their error.
      const entries: Entry[] = [];
      const seen = new Set<string>();
      const parsedItems = items.map((item) => documentSchema.safeParse(item));
      const toText = s.htmlToText ?? (async (html: string) => htmlToText(html));
      const pages = await Promise.all(parsedItems.map((p) => (p.success && p.data.format === 'html' ? toText(p.data.text) : null)));
      items.forEach((item, index) => {
        const parsed = parsedItems[index];
        if (!parsed.success) {
          const message = parsed.error.issues.map((i) => `documents[${index}]${i.path.length ? '.' : ''}${issuePath(i.path)}: ${i.message}`).join('; ');
          const id = typeof (item as { id?: unknown })?.id === 'string' ? (item as { id: string }).id : null;
          entries.push({ index, id, outcome: 'rejected', error: { code: ErrorCode.validationFailed, message } });
          return;
        }
        if (pages[index] !== null) parsed.data.text = pages[index];
        if (!parsed.data.text) {
          entries.push({ index, id: parsed.data.id, outcome: 'rejected', error: { code: ErrorCode.validationFailed, message: `documents[${index}].text: the HTML holds no text` } });
        } else if (!inScope(collectionOf(toDocumentInput(parsed.data)), scope)) {
          entries.push({ index, id: parsed.data.id, outcome: 'rejected', error: { code: ErrorCode.forbiddenCollection, message: `documents[${index}].collection: this key cannot write collection ${collectionOf(toDocumentInput(parsed.data))}` } });
        } else if (seen.has(parsed.data.id)) {
          entries.push({ index, id: parsed.data.id, outcome: 'rejected', error: { code: ErrorCode.validationFailed, message: `documents[${index}].id: ${parsed.data.id} appears earlier in this batch` } });
        } else {
          seen.add(parsed.data.id);
          entries.push({ index, doc: parsed.data });
        }
      });
      const valid = entries.flatMap((e) => ('doc' in e ? [e.doc] : []));
      const stored = valid.length ? await s.documents.upsert(valid.map((d) => ({ ...toDocumentInput(d), sequence })), Date.now(), scope) : [];
      let next = 0;
      const documents = entries.map((e) => {
        if (!('doc' in e)) return e;
        const r = stored[next++];
        return r.outcome === 'rejected' ? { index: e.index, ...r } : r;
      });
      const queued = stored.filter((r) => r.outcome === 'queued').length;
      const rejected = documents.filter((d) => d.outcome === 'rejected').length;
      s.metrics.inc('mac_documents_received_total', 'Documents received by the webhook', {}, items.length);
      s.metrics.inc('mac_documents_queued_total', 'Documents with new content queued for encoding', {}, queued);
      if (rejected === documents.length) {
        // One reason for all: its own status (403 scope, 409 stale); otherwise 422.
        const codes = new Set(documents.map((d) => (d as Rejected).error.code));
        const only = codes.size === 1 ? [...codes][0] : null;
        const [status, code] = only === ErrorCode.forbiddenCollection ? [403, ErrorCode.forbiddenCollection] as const
          : only === ErrorCode.staleDelivery ? [409, ErrorCode.staleDelivery] as const : [422, ErrorCode.validationFailed] as const;
        throw new ApiError(status, code, `Every document of the batch was rejected: ${(documents as Rejected[]).map((d) => d.error.message).join('; ')}`, documents);
      }
      return c.json({ documents, queued, rejected }, 202);
    })
    .get('/', async (c) => {
      const q = listQuerySchema.safeParse(c.req.query());
      if (!q.success) throw new ApiError(422, ErrorCode.validationFailed, q.error.issues.map((i) => `${issuePath(i.path)}: ${i.message}`).join('; '));
      const { limit, cursor, source, collection } = q.data;
      const filter = { collections: collectionsFor(scopeOf(c), collection), source };
      const rows = await s.documents.list({ filter, after: cursor, limit: limit + 1 });
      const page = rows.slice(0, limit);
      return c.json({
        documents: page.map((d) => ({
          id: d.id, collection: d.collection, status: d.status, current_version: d.currentVersion, title: d.title, source: d.source,
          published_at: iso(d.publishedAt), updated_at: iso(d.updatedAt),
        })),
        next_cursor: rows.length > limit ? page[page.length - 1].id : null,
      });
    })
    .get('/:id/passages', async (c) => {
      if (!s.documents.passages) throw new ApiError(501, ErrorCode.notImplemented, 'Passages are kept by the inference servers; ask one of them.');
      const id = c.req.param('id');
      const doc = visible(c, await s.documents.get(id), id);
      if (doc.status === 'deleted') throw new ApiError(404, ErrorCode.documentNotFound, `No document with id ${id}.`);
      const passages = await s.documents.passages(id);
      return c.json({ id, version: doc.currentVersion, passages: passages.map((p) => ({ passage_id: p.id, ordinal: p.ordinal, text: p.text })) });
    })
    .get('/:id', async (c) => {
      const doc = visible(c, await s.documents.get(c.req.param('id')), c.req.param('id'));
      return c.json({
        id: doc.id, collection: doc.collection, status: doc.status, current_version: doc.currentVersion, title: doc.title, source: doc.source, url: doc.url,
        published_at: iso(doc.publishedAt), metadata: doc.metadata, created_at: iso(doc.createdAt), updated_at: iso(doc.updatedAt),
        deleted_at: iso(doc.deletedAt),
        versions: doc.versions.map((v) => ({
          version: v.version, content_sha256: v.contentSha256, status: v.status, received_at: iso(v.receivedAt),
          indexed_at: iso(v.indexedAt), passages: v.passages, error: v.error,
        })),
      });
    })
    .delete('/:id', async (c) => {
      visible(c, await s.documents.get(c.req.param('id')), c.req.param('id'));
      const deleted = await s.documents.delete(c.req.param('id'), Date.now());
      if (!deleted) throw new ApiError(404, ErrorCode.documentNotFound, `No document with id ${c.req.param('id')}.`);
      s.metrics.inc('mac_documents_deleted_total', 'Documents forgotten');
      return c.json({ id: c.req.param('id'), status: 'deleted', passages_removed: deleted.passagesRemoved });
    });
}
