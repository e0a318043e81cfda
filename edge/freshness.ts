import type { FreshnessPort } from '../app/index.ts';
import { filterCondition, freshnessQueries, freshnessStats } from '../core/lifecycle.ts';
import type { FreshnessStats } from '../core/types.ts';
import { d1 } from './documents.ts';
import type { InferenceClient } from './inference.ts';

type Row = Record<string, any>;

/** Freshness from D1 (what was received, indexed, superseded); uptake probes from an inference server. */
export function d1Freshness(db: D1Database, inference: InferenceClient): FreshnessPort {
  return {
    async stats(collections): Promise<FreshnessStats> {
      const q = freshnessQueries(collections);
      const scope = filterCondition({ collections });
      const [failures, timeline, byStatus, superseded, knowledge, lags, sources, passages, queue] = await db.batch<Row>([
        d1(db, q.failures), d1(db, q.timeline), d1(db, q.byStatus), d1(db, q.superseded), d1(db, q.knowledge), d1(db, q.lags), d1(db, q.sources),
        db.prepare(`SELECT COALESCE(SUM(v.passages), 0) AS n FROM versions v JOIN documents d ON d.id = v.document_id
          WHERE v.status = 'indexed' AND ${scope.sql}`).bind(...scope.args),
        db.prepare(`SELECT SUM(v.status = 'queued') AS queued, SUM(v.status = 'failed') AS failed,
          MIN(CASE WHEN v.status = 'queued' THEN v.received_at END) AS oldest FROM versions v JOIN documents d ON d.id = v.document_id
          WHERE ${scope.sql}`).bind(...scope.args),
      ]);
      const waiting = queue.results[0] ?? {};
      return freshnessStats({
        failures: failures.results, timeline: timeline.results, byStatus: byStatus.results, superseded: superseded.results, knowledge: knowledge.results, lags: lags.results, sources: sources.results,
        passages: passages.results[0].n,
        // Cloudflare Queues do not report in-flight messages: queued versions include those being encoded.
        queue: { queued: waiting.queued ?? 0, running: 0, failed: waiting.failed ?? 0, oldestQueuedAt: waiting.oldest ?? null },
      });
    },
    recentProbes: (limit, collections) => inference.recentProbes(limit, collections),
  };
}
