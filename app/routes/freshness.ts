import { Hono } from 'hono';
import type { FreshnessStats, ProbeRecord } from '../../core/types.ts';
import { scopeOf } from '../auth.ts';
import { iso } from '../body.ts';
import { collectionsFor } from '../scope.ts';
import type { FreshnessResponse } from '../schemas.ts';
import type { Services } from '../services.ts';

export function percentiles(values: number[]) {
  if (!values.length) return { count: 0, p50: null, p90: null, p99: null };
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => Number((sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] / 1000).toFixed(3));
  return { count: sorted.length, p50: at(0.5), p90: at(0.9), p99: at(0.99) };
}

const mean = (xs: number[]) => (xs.length ? Number((xs.reduce((a, b) => a + b, 0) / xs.length).toFixed(4)) : null);

/** What the memory knows, how fresh it is, how far ingestion lags, and whether new knowledge is taken up. */
export async function freshnessReport(s: Services, collections?: readonly string[], now = Date.now()): Promise<FreshnessResponse> {
  const [stats, probes, answers] = await Promise.all([
    s.freshness.stats(collections), s.freshness.recentProbes(50, collections), s.freshness.answerHours?.(now - 24 * HOUR) ?? null,
  ]);
  return buildReport(stats, probes, s.settings.slaSeconds, now, answers);
}

const HOUR = 3_600_000;

/** The last 24 hours, one entry per hour, oldest first. */
function timeline(f: FreshnessStats, answers: { hour: number; answers: number }[] | null, now: number) {
  const first = Math.floor(now / HOUR) * HOUR - 23 * HOUR;
  const indexed = new Map(f.timeline.map((t) => [t.hour, t]));
  const served = new Map((answers ?? []).map((a) => [a.hour, a.answers]));
  return Array.from({ length: 24 }, (_, i) => {
    const hour = first + i * HOUR;
    const t = indexed.get(hour);
    return {
      hour: iso(hour)!, indexed: t?.indexed ?? 0, mean_lag_seconds: t ? Number((t.meanLagMs / 1000).toFixed(3)) : null,
      answers: answers ? served.get(hour) ?? 0 : null,
    };
  });
}

export function buildReport(f: FreshnessStats, probes: ProbeRecord[], slaSeconds: number, now: number,
  answers: { hour: number; answers: number }[] | null = null): FreshnessResponse {
  return {
    generated_at: new Date(now).toISOString(),
    documents: f.documents,
    passages: f.passages,
    superseded_versions: f.versions.superseded,
    knowledge: {
      newest_published_at: iso(f.knowledge.newestPublishedAt),
      oldest_published_at: iso(f.knowledge.oldestPublishedAt),
      last_indexed_at: iso(f.knowledge.newestIndexedAt),
    },
    queue: { depth: f.queue.queued, running: f.queue.running, failed: f.queue.failed, oldest_queued_at: iso(f.queue.oldestQueuedAt) },
    lag_seconds: {
      published_to_received: percentiles(f.lags.publishedToReceived),
      received_to_indexed: percentiles(f.lags.receivedToIndexed),
      published_to_indexed: percentiles(f.lags.publishedToIndexed),
    },
    sla_seconds: slaSeconds,
    sources: f.sources.map((src) => {
      const staleness = (now - src.lastReceivedAt) / 1000;
      return {
        source: src.source, documents: src.documents, last_received_at: iso(src.lastReceivedAt)!, last_indexed_at: iso(src.lastIndexedAt),
        staleness_seconds: Math.round(staleness), stale: staleness > slaSeconds,
      };
    }),
    recent_failures: f.failures.map((x) => ({ document_id: x.documentId, version: x.version, error: x.error, at: iso(x.at)! })),
    timeline: timeline(f, answers, now),
    uptake: {
      probes: probes.length,
      mean_f1_with_memory: mean(probes.map((p) => p.f1)),
      mean_f1_without_memory: mean(probes.map((p) => p.baseF1)),
      recent: probes.slice(0, 10).map((p) => ({
        document_id: p.documentId, question: p.question, expected: p.expected, answer: p.answer, f1: p.f1, base_f1: p.baseF1, at: iso(p.at)!,
      })),
    },
  };
}

/** `?collection=` (repeatable) narrows the report to those collections, within the key's. */
export const freshnessRoutes = (s: Services) => new Hono().get('/', async (c) => {
  const asked = c.req.queries('collection');
  return c.json(await freshnessReport(s, collectionsFor(scopeOf(c), asked?.length ? asked : undefined)));
});
