import { Hono } from 'hono';
import { ApiError, documentSchema, ErrorCode, readJson, safeEqual, toDocumentInput } from '../app/index.ts';
import type { MemoryStore, VectorIndex } from '../memory/index.ts';

export interface InferenceDeps {
  store: MemoryStore;
  index: VectorIndex;
  notifyIngest(): void;
  /** Passages left the index: the snapshot on disk is rewritten without their vectors. */
  forgotten(): void;
  /** Resolves when the ingestion worker has finished a round on this version (false: `ms` passed first). */
  settled(documentId: string, version: number, ms: number): Promise<boolean>;
  /** Bearer secret shared with the Worker edge. */
  secret: string;
  /** How long an index call may wait for the encoder before it answers 503 (the queue retries). */
  timeoutMs: number;
}

/**
 * The inference role: routes a Worker edge calls over HTTP. Indexing is synchronous here (the edge's
 * queue consumer acknowledges a message only once the memory holds it); answers use the public /v1 API.
 */
export function inferenceRoutes(d: InferenceDeps) {
  return new Hono()
    .use('*', async (c, next) => {
      const key = c.req.header('authorization')?.match(/^Bearer\s+(.+)$/i)?.[1]?.trim();
      if (!key || !safeEqual(key, d.secret)) throw new ApiError(401, ErrorCode.unauthorized, 'Internal routes need `Authorization: Bearer INFERENCE_SECRET`.');
      await next();
    })
    .post('/index', async (c) => {
      const doc = await readJson(c, documentSchema);
      // The edge has checked the caller's collections; the replica writes what it is sent.
      const [result] = d.store.upsertDocuments([toDocumentInput(doc)], Date.now());
      if (result.outcome === 'rejected') throw new ApiError(403, ErrorCode.forbiddenCollection, result.error.message);
      if (result.outcome === 'queued') d.notifyIngest();
      const until = Date.now() + d.timeoutMs;
      for (;;) {
        // The worker's own lifecycle decides (core/lifecycle.ts); a failed attempt that will be retried leaves it queued.
        const version = d.store.getDocument(doc.id)?.versions.find((v) => v.version === result.version);
        if (version && version.status !== 'queued') {
          if (version.status === 'failed') throw new ApiError(500, ErrorCode.internal, `Encoding failed: ${version.error}`);
          return c.json({ id: doc.id, version: version.version, status: version.status, passages: version.passages });
        }
        const left = until - Date.now();
        if (left <= 0 || !(await d.settled(doc.id, result.version, left))) {
          throw new ApiError(503, ErrorCode.notReady, `Not indexed within ${d.timeoutMs} ms; retry later.`);
        }
      }
    })
    // What this replica holds, for the edge's refill (edge/refill.ts): live documents by id, with hashes.
    .get('/holdings', (c) => {
      const limit = Math.min(1000, Math.max(1, Number(c.req.query('limit') ?? 500) || 500));
      return c.json(d.store.holdings(c.req.query('after') ?? '', limit));
    })
    .delete('/documents/:id', (c) => {
      const change = d.store.deleteDocument(c.req.param('id'), Date.now());
      for (const passage of change?.removed ?? []) d.index.remove(passage);
      if (change?.removed.length) d.forgotten();
      return c.json({ id: c.req.param('id'), passages_removed: change?.removed.length ?? 0 });
    });
}
