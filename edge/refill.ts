import { holdingsQuery, indexedCountQuery, type Holding } from '../core/lifecycle.ts';
import { d1 } from './documents.ts';
import type { Env, IngestMessage } from './env.ts';
import type { InferenceClient } from './inference.ts';

const PAGE = 500;

export interface RefillReport {
  replica: string;
  /** Skipped: the replica has as many indexed documents as D1. */
  inSync: boolean;
  enqueued: number;
  deleted: number;
  /** The replica could not be read or written this run (down, restarting); the next run tries again. */
  error?: string;
}

/**
 * Anti-entropy for the replicas (cron): a replica that starts with an empty disk, or missed writes while
 * it was away, is brought back to what D1 and R2 hold. When its count of indexed documents differs from
 * D1's, its holdings and D1's are walked side by side in id order: a document D1 has indexed that the
 * replica lacks (or holds with other content) is queued for that replica alone, from its text in R2;
 * one the replica holds that D1 has not (deleted while it was away) is deleted there. Documents D1 has
 * queued or failed are left to the ingestion queue. At most `budget` documents per replica per run; the
 * next run goes on. Equal counts are taken as in sync (a cheap check every run; a replica with one
 * document missing and one extra would wait for the next difference).
 */
export async function refillReplicas(env: Env, inference: InferenceClient, budget = 1000): Promise<RefillReport[]> {
  const edgeIndexed = (await d1(env.DB, indexedCountQuery()).first<{ n: number }>())?.n ?? 0;
  const reports: RefillReport[] = [];
  for (const name of inference.replicaNames) {
    const report: RefillReport = { replica: name, inSync: false, enqueued: 0, deleted: 0 };
    reports.push(report);
    try {
      await refillReplica(env, inference, name, edgeIndexed, budget, report);
    } catch (err) {
      report.error = (err as Error).message;
    }
  }
  return reports;
}

async function refillReplica(env: Env, inference: InferenceClient, name: string, edgeIndexed: number, budget: number, report: RefillReport): Promise<void> {
  const first = await inference.holdings(name, '', PAGE);
  if (first.indexed === edgeIndexed) {
    report.inSync = true;
    return;
  }
  const edge = walk(async (after) => (await d1(env.DB, holdingsQuery(after, PAGE)).all<Holding>()).results);
  const replica = walk(async (after) => (after === '' ? first : await inference.holdings(name, after, PAGE)).documents);
  const missing: IngestMessage[] = [];
  let e = await edge.next();
  let r = await replica.next();
  while ((!e.done || !r.done) && missing.length + report.deleted < budget) {
    if (!r.done && (e.done || r.value.id < e.value.id)) {
      await inference.delete(r.value.id, name); // D1 holds no live document of this id
      report.deleted++;
      r = await replica.next();
      continue;
    }
    const held = !r.done && r.value.id === e.value!.id ? r.value : null;
    if (e.value!.status === 'indexed' && held?.content_sha256 !== e.value!.content_sha256) {
      missing.push({ documentId: e.value!.id, version: e.value!.current_version, replica: name });
    }
    e = await edge.next();
    if (held) r = await replica.next();
  }
  for (let i = 0; i < missing.length; i += 100) await env.INGEST_QUEUE.sendBatch(missing.slice(i, i + 100).map((body) => ({ body })));
  report.enqueued = missing.length;
}

/** Every row of a paged, id-ordered listing, one at a time. */
async function* walk(page: (after: string) => Promise<Holding[]>): AsyncGenerator<Holding, void> {
  let after = '';
  for (;;) {
    const rows = await page(after);
    yield* rows;
    if (rows.length < PAGE) return;
    after = rows[rows.length - 1].id;
  }
}
