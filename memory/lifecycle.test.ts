import { join } from 'node:path';
import { lifecycleSuite } from '../core/lifecycle.suite.ts';
import { tempDir } from '../tests/helpers.ts';
import { storedMemory } from './codec.ts';
import { SqliteStore } from './sqlite-store.ts';
import type { Job } from './types.ts';

// The shared lifecycle suite against the inference server's SQLite memory bank; versions are indexed
// and failed through the store's own job queue, as the ingestion worker does (with stand-in memories).
lifecycleSuite(async () => {
  const store = new SqliteStore(join(tempDir('lifecycle'), 'memory.db'));
  const claimed = new Map<string, Job>();
  const job = (id: string, version: number): Job => {
    for (const j of store.claimJobs(100, Date.now())) claimed.set(`${j.documentId}@${j.version}`, j);
    const found = claimed.get(`${id}@${version}`);
    if (!found) throw new Error(`no job for ${id} v${version}`);
    return found;
  };
  return {
    upsert: async (docs, at, scope = '*') => store.upsertDocuments(docs, at, scope),
    get: async (id) => store.getDocument(id),
    list: async (options) => store.listDocuments(options),
    delete: async (id, at) => store.deleteDocument(id, at),
    freshness: async (collections) => store.freshness(collections),
    collections: async (c) => store.collections(c),
    createCollection: async (name, at) => store.createCollection(name, at),
    dropCollection: async (name) => store.dropCollection(name),
    async index(id, version) {
      const j = job(id, version);
      store.completeJob(j, [{ text: j.text, memory: storedMemory(new Float32Array(8), 'q8'), embedding: new Float32Array(4) }], Date.now());
    },
    async fail(id, version, error) {
      store.failJob(job(id, version), error, Date.now(), 1);
    },
  };
});
