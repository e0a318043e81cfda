import { createMessageBatch, env } from 'cloudflare:test';
import { lifecycleSuite } from '../core/lifecycle.suite.ts';
import { consumeDeadLetters, consumeIngest } from './consumer.ts';
import { d1Documents } from './documents.ts';
import type { Env, IngestMessage } from './env.ts';
import { d1Freshness } from './freshness.ts';
import { InferenceClient, replicasFromEnv } from './inference.ts';

// The shared lifecycle suite against D1 and R2 at the edge. The queue is held back, so versions stay
// queued until the suite indexes them through the consumer (against the stand-in inference servers) or
// fails them through the dead-letter consumer.
lifecycleSuite(async () => {
  const held = { ...env, INGEST_QUEUE: { send: async () => {}, sendBatch: async () => {} } } as unknown as Env;
  const inference = new InferenceClient(replicasFromEnv(held), held.INFERENCE_SECRET);
  const docs = d1Documents(held, inference);
  const freshness = d1Freshness(held.DB, inference);
  const message = (documentId: string, version: number, queue: string) =>
    createMessageBatch<IngestMessage>(queue, [{ id: `${documentId}@${version}`, timestamp: new Date(), attempts: 1, body: { documentId, version } }]);
  return {
    upsert: (d, at, scope = '*') => docs.upsert(d, at, scope),
    get: (id) => docs.get(id),
    list: (options) => docs.list(options),
    delete: (id, at) => docs.delete(id, at),
    freshness: (collections) => freshness.stats(collections),
    collections: (c) => docs.collections(c),
    createCollection: (name, at) => docs.createCollection(name, at),
    dropCollection: (name) => docs.dropCollection(name),
    index: (id, version) => consumeIngest(message(id, version, 'mac-ingest'), held, inference),
    async fail(id, version, error) {
      await held.DB.prepare('UPDATE versions SET error = ? WHERE document_id = ? AND version = ?').bind(error, id, version).run();
      await consumeDeadLetters(message(id, version, 'mac-ingest-dlq'), held);
    },
  };
});
