import { iso } from '../app/index.ts';
import { failedStatements, indexedStatements } from '../core/lifecycle.ts';
import type { DocumentBody } from '../app/index.ts';
import type { DocumentStatus, VersionStatus } from '../core/types.ts';
import { d1 } from './documents.ts';
import type { Env, IngestMessage } from './env.ts';
import type { InferenceClient } from './inference.ts';

interface Pending {
  id: string; collection: string; title: string | null; source: string | null; url: string | null; published_at: number | null; metadata: string | null;
  status: DocumentStatus; current_version: number; version_status: VersionStatus; text_key: string;
}

async function loadVersion(env: Env, documentId: string, version: number): Promise<Pending | null> {
  return env.DB.prepare(
    `SELECT d.*, v.status AS version_status, v.text_key FROM versions v JOIN documents d ON d.id = v.document_id
     WHERE v.document_id = ? AND v.version = ?`,
  ).bind(documentId, version).first<Pending>();
}

/** What a replica's /internal/v1/index is sent: the version's text from R2 and the document's fields from D1. */
async function documentBody(row: Pending, env: Env): Promise<DocumentBody> {
  const object = await env.TEXTS.get(row.text_key);
  if (!object) throw new Error(`text ${row.text_key} is missing from R2`);
  return {
    id: row.id, text: await object.text(), title: row.title, source: row.source, url: row.url,
    published_at: iso(row.published_at), metadata: row.metadata ? JSON.parse(row.metadata) : null, collection: row.collection,
  };
}

/** Encodes one queued version on every replica, then records it in D1. Safe to run twice. */
export async function ingestOne({ documentId, version }: IngestMessage, env: Env, inference: InferenceClient): Promise<'indexed' | 'skipped'> {
  const row = await loadVersion(env, documentId, version);
  // Superseded by newer content, deleted, or already done by an earlier delivery.
  if (!row || row.version_status !== 'queued' || row.current_version !== version) return 'skipped';
  const passages = await inference.index(await documentBody(row, env));
  await env.DB.batch(indexedStatements(documentId, version, passages, Date.now()).map((st) => d1(env.DB, st)));
  await forgetIfDeletedMeanwhile(env, inference, documentId);
  return 'indexed';
}

/** Sends an indexed version to one replica that lacks it (edge/refill.ts); D1 already says indexed. */
export async function refillOne({ documentId, version, replica }: IngestMessage, env: Env, inference: InferenceClient): Promise<'indexed' | 'skipped'> {
  const row = await loadVersion(env, documentId, version);
  // Replaced or deleted since the refill was planned: the ingestion queue or the delete covers it.
  if (!row || row.version_status !== 'indexed' || row.current_version !== version || row.status === 'deleted') return 'skipped';
  await inference.index(await documentBody(row, env), replica);
  await forgetIfDeletedMeanwhile(env, inference, documentId, replica);
  return 'indexed';
}

/** A delete that landed while the replicas encoded: they may hold the document again, so forget it (on `only`, or all). */
async function forgetIfDeletedMeanwhile(env: Env, inference: InferenceClient, documentId: string, only?: string): Promise<void> {
  const after = await env.DB.prepare('SELECT status FROM documents WHERE id = ?').bind(documentId).first<{ status: DocumentStatus }>();
  if (after?.status === 'deleted') await inference.delete(documentId, only);
}

/** The ingestion queue: failures retry with backoff; after max_retries the message goes to the dead-letter queue. */
export async function consumeIngest(batch: MessageBatch<IngestMessage>, env: Env, inference: InferenceClient): Promise<void> {
  for (const message of batch.messages) {
    try {
      await (message.body.replica ? refillOne : ingestOne)(message.body, env, inference);
      message.ack();
    } catch (err) {
      const { documentId, version } = message.body;
      if (message.body.replica) {
        // A refill's failure is the replica's, not the version's: retried, then dropped (the next cron plans it again).
        message.retry({ delaySeconds: Math.min(300, 2 ** message.attempts) });
        continue;
      }
      await env.DB.prepare('UPDATE versions SET attempts = attempts + 1, error = ? WHERE document_id = ? AND version = ?')
        .bind((err as Error).message.slice(0, 1000), documentId, version).run();
      message.retry({ delaySeconds: Math.min(300, 2 ** message.attempts) });
    }
  }
}

/** The dead-letter queue: the version failed for good; the document says so until new content arrives. */
export async function consumeDeadLetters(batch: MessageBatch<IngestMessage>, env: Env): Promise<void> {
  for (const message of batch.messages) {
    const { documentId, version } = message.body;
    if (message.body.replica) {
      message.ack(); // a refill that kept failing: the next cron run plans it again
      continue;
    }
    // The error the consumer recorded at its last attempt stays the version's error.
    await env.DB.batch(failedStatements(documentId, version, null, Date.now()).map((st) => d1(env.DB, st)));
    message.ack();
  }
}

/** Cron: versions still queued long after they arrived are enqueued again (a lost or failed send); old signatures go. */
export async function sweep(env: Env, now: number, staleMs = 10 * 60_000): Promise<number> {
  const { results } = await env.DB.prepare(
    `SELECT v.document_id, v.version FROM versions v JOIN documents d ON d.id = v.document_id AND d.current_version = v.version
     WHERE v.status = 'queued' AND v.received_at < ? LIMIT 100`,
  ).bind(now - staleMs).all<{ document_id: string; version: number }>();
  if (results.length) await env.INGEST_QUEUE.sendBatch(results.map((r) => ({ body: { documentId: r.document_id, version: r.version } })));
  await env.DB.prepare('DELETE FROM used_signatures WHERE expires_at < ?').bind(now).run();
  return results.length;
}
