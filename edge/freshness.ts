import type { FreshnessPort } from '../app/index.ts';
import { FRESHNESS_QUERIES, freshnessStats } from '../core/lifecycle.ts';
import type { FreshnessStats } from '../core/types.ts';
import { d1 } from './documents.ts';
import type { InferenceClient } from './inference.ts';

type Row = Record<string, any>;

/** Freshness from D1 (what was received, indexed, superseded); uptake probes from an inference server. */
export function d1Freshness(db: D1Database, inference: InferenceClient): FreshnessPort {
  return {
    async stats(): Promise<FreshnessStats> {
      const q = FRESHNESS_QUERIES;
      const [byStatus, superseded, knowledge, lags, sources, passages, queue] = await db.batch<Row>([
        d1(db, q.byStatus), d1(db, q.superseded), d1(db, q.knowledge), d1(db, q.lags), d1(db, q.sources),
        db.prepare("SELECT COALESCE(SUM(passages), 0) AS n FROM versions WHERE status = 'indexed'"),
        db.prepare(`SELECT SUM(status = 'queued') AS queued, SUM(status = 'failed') AS failed,
          MIN(CASE WHEN status = 'queued' THEN received_at END) AS oldest FROM versions`),
      ]);
      const waiting = queue.results[0] ?? {};
      return freshnessStats({
        byStatus: byStatus.results, superseded: superseded.results, knowledge: knowledge.results, lags: lags.results, sources: sources.results,
        passages: passages.results[0].n,
        // Cloudflare Queues do not report in-flight messages: queued versions include those being encoded.
        queue: { queued: waiting.queued ?? 0, running: 0, failed: waiting.failed ?? 0, oldestQueuedAt: waiting.oldest ?? null },
      });
    },
    recentProbes: (limit) => inference.recentProbes(limit),
  };
}
