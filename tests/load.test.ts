import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MIXES, runLoad, type Mix } from '../bench/load.ts';
import { ingestAll, startBenchService } from '../bench/service.ts';
import { firstQuestions, readSquad, toDocument } from '../bench/squad.ts';
import { squadDir, TINY_BUNDLE } from './helpers.ts';

// The benchmark's load command (bench/load.ts: 8 answering clients, 2 ingesting, a liveness probe), short,
// on the tiny bundle, each mix with decode steps batched: no error other than a documented 429, and every
// posted document indexed. Its speed targets are the benchmark's to check: `npm run bench -- --sections load`.
describe('mixed load', () => {
  it('answers, acknowledges and indexes under 11 concurrent clients with no errors', async () => {
    const paragraphs = readSquad(join(squadDir(), 'squad-1.1-validation.jsonl')).slice(0, 20);
    const svc = await startBenchService(TINY_BUNDLE, { THREADS: '1' });
    try {
      await ingestAll(svc.api, paragraphs.map(toDocument), 20, 'load test setup');
      for (const mix of Object.keys(MIXES) as Mix[]) {
        const d = await runLoad(svc, firstQuestions(paragraphs, 40), 5, mix);
        expect(d.errors, JSON.stringify(d)).toBe(0);
        for (const mode of MIXES[mix]) expect(d.answers_by_mode[mode].ok, mode).toBeGreaterThan(0);
        expect(d.healthz.ok).toBeGreaterThan(10);
        expect(d.ingestion_lag.not_indexed_after_60s).toBe(0);
        expect(d.ingestion_lag.indexed).toBe(d.documents.ok);
      }
    } finally {
      await svc.close();
    }
  }, 120_000);
});
