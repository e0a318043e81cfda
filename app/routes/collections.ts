import { Hono } from 'hono';
import { inScope } from '../../core/lifecycle.ts';
import type { CollectionSummary } from '../../core/types.ts';
import { scopeOf } from '../auth.ts';
import { iso, readJson } from '../body.ts';
import { ApiError, ErrorCode } from '../errors.ts';
import { collectionCreateSchema } from '../schemas.ts';
import { collectionsFor } from '../scope.ts';
import type { Services } from '../services.ts';

const toJson = (c: CollectionSummary) => ({
  name: c.name, created_at: iso(c.createdAt), documents: c.documents, indexed: c.indexed, queued: c.queued, failed: c.failed, updated_at: iso(c.updatedAt),
});

/** Collections: list (within the key's scope), create, and delete with every document in it. */
export function collectionRoutes(s: Services) {
  return new Hono()
    .get('/', async (c) => c.json({ collections: (await s.documents.collections(collectionsFor(scopeOf(c)))).map(toJson) }))
    .post('/', async (c) => {
      const { name } = await readJson(c, collectionCreateSchema);
      if (!inScope(name, scopeOf(c))) throw new ApiError(403, ErrorCode.forbiddenCollection, `This key cannot create collection ${name}.`);
      const created = await s.documents.createCollection(name, Date.now());
      const [summary] = await s.documents.collections([name]);
      return c.json(toJson(summary), created ? 201 : 200);
    })
    .delete('/:name', async (c) => {
      const name = c.req.param('name');
      const [known] = inScope(name, scopeOf(c)) ? await s.documents.collections([name]) : [];
      if (!known) throw new ApiError(404, ErrorCode.notFound, `No collection ${name}.`);
      // Every document is forgotten as DELETE /v1/documents/{id} forgets it: tombstones, memories, index.
      let deleted = 0;
      let passagesRemoved = 0;
      for (;;) {
        const page = await s.documents.list({ filter: { collections: [name] }, limit: 100 });
        const before = deleted;
        for (const doc of page) {
          const gone = await s.documents.delete(doc.id, Date.now());
          if (gone) {
            deleted++;
            passagesRemoved += gone.passagesRemoved;
          }
        }
        if (deleted === before) break; // nothing left (or nothing more could go)
      }
      await s.documents.dropCollection(name);
      s.metrics.inc('mac_documents_deleted_total', 'Documents forgotten', {}, deleted);
      return c.json({ name, status: 'deleted', documents_deleted: deleted, passages_removed: passagesRemoved });
    });
}

/**
 * Per-collection series for /metrics, only for callers that may see the collections: documents by status
 * and the newest update, one series per collection.
 */
export function collectionMetrics(collections: CollectionSummary[]): string {
  const label = (name: string) => name.replace(/["\\\n]/g, '_');
  const lines = ['# HELP mac_collection_documents Live documents per collection and status', '# TYPE mac_collection_documents gauge'];
  for (const c of collections) {
    for (const status of ['indexed', 'queued', 'failed'] as const) lines.push(`mac_collection_documents{collection="${label(c.name)}",status="${status}"} ${c[status]}`);
  }
  lines.push('# HELP mac_collection_updated_seconds When a document of the collection last changed (unix seconds)', '# TYPE mac_collection_updated_seconds gauge');
  for (const c of collections) if (c.updatedAt !== null) lines.push(`mac_collection_updated_seconds{collection="${label(c.name)}"} ${c.updatedAt / 1000}`);
  return lines.join('\n') + '\n';
}
