import type { FreshnessPort } from '../app/index.ts';
import type { FreshnessStats } from '../memory/types.ts';
import type { InferenceClient } from './inference.ts';

type Row = Record<string, any>;

/** Freshness from D1 (what was received, indexed, superseded); uptake probes from an inference server. */
export function d1Freshness(db: D1Database, inference: InferenceClient): FreshnessPort {
  return {
    async stats(): Promise<FreshnessStats> {
      const [byStatus, total, superseded, passages, knowledge, queue, lags, sources] = await db.batch<Row>([
        db.prepare('SELECT status, COUNT(*) AS n FROM documents GROUP BY status'),
        db.prepare("SELECT COUNT(*) AS n FROM documents WHERE status != 'deleted'"),
        db.prepare("SELECT COUNT(*) AS n FROM versions WHERE status = 'superseded'"),
        db.prepare("SELECT COALESCE(SUM(passages), 0) AS n FROM versions WHERE status = 'indexed'"),
        db.prepare(`SELECT MAX(d.published_at) AS newest, MIN(d.published_at) AS oldest, MAX(v.indexed_at) AS indexed
          FROM documents d JOIN versions v ON v.document_id = d.id AND v.version = d.current_version WHERE d.status = 'indexed'`),
        db.prepare(`SELECT SUM(status = 'queued') AS queued, SUM(status = 'failed') AS failed,
          MIN(CASE WHEN status = 'queued' THEN received_at END) AS oldest FROM versions`),
        db.prepare(`SELECT d.published_at, v.received_at, v.indexed_at FROM versions v JOIN documents d ON d.id = v.document_id
          WHERE v.indexed_at IS NOT NULL ORDER BY v.indexed_at DESC LIMIT 10000`),
        db.prepare(`SELECT COALESCE(d.source, '(none)') AS source, COUNT(*) AS documents, MAX(v.received_at) AS last_received,
          MAX(v.indexed_at) AS last_indexed FROM documents d JOIN versions v ON v.document_id = d.id AND v.version = d.current_version
          WHERE d.status != 'deleted' GROUP BY 1 ORDER BY 1`),
      ]);
      const count = Object.fromEntries(byStatus.results.map((r) => [r.status, r.n]));
      const k = knowledge.results[0] ?? {};
      const q = queue.results[0] ?? {};
      const rows = lags.results;
      return {
        documents: { total: total.results[0].n, indexed: count.indexed ?? 0, queued: count.queued ?? 0, failed: count.failed ?? 0, deleted: count.deleted ?? 0 },
        versions: { superseded: superseded.results[0].n },
        passages: passages.results[0].n,
        knowledge: { newestPublishedAt: k.newest ?? null, oldestPublishedAt: k.oldest ?? null, newestIndexedAt: k.indexed ?? null },
        // Cloudflare Queues do not report in-flight messages: queued versions include those being encoded.
        queue: { queued: q.queued ?? 0, running: 0, failed: q.failed ?? 0, oldestQueuedAt: q.oldest ?? null },
        lags: {
          publishedToReceived: rows.filter((r) => r.published_at != null).map((r) => r.received_at - r.published_at),
          receivedToIndexed: rows.map((r) => r.indexed_at - r.received_at),
          publishedToIndexed: rows.filter((r) => r.published_at != null).map((r) => r.indexed_at - r.published_at),
        },
        sources: sources.results.map((r) => ({ source: r.source, documents: r.documents, lastReceivedAt: r.last_received, lastIndexedAt: r.last_indexed })),
      };
    },
    recentProbes: (limit) => inference.recentProbes(limit),
  };
}
