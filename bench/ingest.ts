import type { Section } from './report.ts';
import { ingestAll, startBenchService } from './service.ts';
import { toDocument, type SquadParagraph } from './squad.ts';
import { median, percentile, round } from './stats.ts';

const BATCH = 50;

/** End-to-end ingestion into an empty memory: webhook, queue, encoder + amortizer, SQLite, hnswlib. */
export async function runIngest(bundleDir: string, paragraphs: SquadParagraph[]): Promise<Section> {
  const svc = await startBenchService(bundleDir);
  try {
    const run = await ingestAll(svc.api, paragraphs.map(toDocument), BATCH, 'ingest');
    const perSecond = (n: number) => round(n / Math.max(run.endToEndSeconds, 1e-9), 2);
    const paragraphsPerS = perSecond(run.indexed);
    const data = {
      paragraphs: run.documents, batch: BATCH, indexed: run.indexed, failed: run.failed, passages: run.passages,
      end_to_end_seconds: round(run.endToEndSeconds), post_seconds: round(run.postSeconds),
      paragraphs_per_s: paragraphsPerS, passages_per_s: perSecond(run.passages),
      acknowledged_per_s: round(run.documents / Math.max(run.postSeconds, 1e-9), 1),
      post_latency_ms: { p50: round(median(run.postLatencyMs)), p95: round(percentile(run.postLatencyMs, 0.95)) },
      received_to_indexed_s: run.receivedToIndexedS,
    };
    return {
      name: 'ingest',
      data,
      tables: [{
        title: `${run.documents} SQuAD paragraphs, POST /v1/documents in batches of ${BATCH}, fresh DATA_DIR`,
        columns: ['paragraphs', 'passages', 'failed', 'end to end s', 'paragraphs/s', 'passages/s', 'acknowledged/s', 'POST p50 ms', 'POST p95 ms', 'received→indexed p50 s', 'p99 s'],
        rows: [[run.indexed, run.passages, run.failed, data.end_to_end_seconds, paragraphsPerS, data.passages_per_s, data.acknowledged_per_s,
          data.post_latency_ms.p50, data.post_latency_ms.p95, run.receivedToIndexedS.p50, run.receivedToIndexedS.p99]],
      }],
      targets: [{ name: 'ingestion paragraphs/s', value: paragraphsPerS, target: '>= 20', met: paragraphsPerS === null ? null : paragraphsPerS >= 20 }],
      notes: [
        'end to end: from the first POST to the last version indexed (server timestamp), so it includes queueing, encoding, SQLite and hnswlib',
        'acknowledged/s: documents per second of POSTs answered 202 (durably queued), before encoding finishes',
      ],
    };
  } finally {
    await svc.close();
  }
}
