import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runLoad } from '../bench/load.ts';
import { ingestAll, startBenchService } from '../bench/service.ts';
import { firstQuestions, readSquad, toDocument } from '../bench/squad.ts';
import { squadDir, TINY_BUNDLE } from './helpers.ts';

// The benchmark's load command (bench/load.ts: 6 answering clients, 2 ingesting, a liveness probe), short,
// on the tiny bundle: no error other than a documented 429, and every posted document indexed. Its
// latency targets (/healthz p99) are the benchmark's to check: `npm run bench -- --sections load`.
describe('mixed load', () => {
  it('answers, acknowledges and indexes under 8 concurrent clients with no errors', async () => {
    const paragraphs = readSquad(join(squadDir(), 'squad-1.1-validation.jsonl')).slice(0, 20);
    const svc = await startBenchService(TINY_BUNDLE, { THREADS: '1' });
    try {
      await ingestAll(svc.api, paragraphs.map(toDocument), 20, 'load test setup');
      const { data } = await runLoad(svc, firstQuestions(paragraphs, 40), 8);
      const d = data as any;
      expect(d.errors, JSON.stringify(d)).toBe(0);
      expect(d.answers.ok).toBeGreaterThan(0);
      expect(d.healthz.ok).toBeGreaterThan(10);
      expect(d.ingestion_lag.not_indexed_after_60s).toBe(0);
      expect(d.ingestion_lag.indexed).toBe(d.documents.ok);
    } finally {
      await svc.close();
    }
  }, 120_000);
});
