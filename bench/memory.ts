import { readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { CODECS, encodeModulation } from '../memory/index.ts';
import type { Section } from './report.ts';
import { ingestAll, startBenchService } from './service.ts';
import { toDocument, type SquadParagraph } from './squad.ts';
import { round } from './stats.ts';

/** Bytes per value are what the codec decides; a sample of this size shows them without a long ingest. */
const SAMPLE_PARAGRAPHS = 40;
/** The MAC paper's fp32 modulation per passage (T5/GPT-2 sized), the reference the compact format is measured against. */
const PAPER_FP32_BYTES = 36 * 1024;
/** The content-path issue's budget for the default memory per passage. */
const TARGET_BYTES = 64 * 1024;

/** Bytes per passage in the memory bank for each MODULATION_CODEC, read back from the SQLite file. */
export async function runMemory(bundleDir: string, paragraphs: SquadParagraph[]): Promise<Section> {
  const sample = paragraphs.slice(0, SAMPLE_PARAGRAPHS).map(toDocument);
  const { dims, memory } = JSON.parse(readFileSync(join(bundleDir, 'manifest.json'), 'utf8'));
  // A memory keeps up to `slots` positions; a passage shorter than that keeps all of its own.
  const values = memory.slots * dims.lm_layers * 2 * dims.lm_kv_heads * dims.lm_head_dim;
  const rows = [];
  for (const codec of CODECS) {
    const svc = await startBenchService(bundleDir, { MODULATION_CODEC: codec, SNAPSHOT_INTERVAL_S: '0' });
    try {
      await ingestAll(svc.api, sample, 50, `memory ${codec}`);
    } catch (err) {
      await svc.close();
      throw err;
    }
    // Closing checkpoints the WAL into the main file, so its size is the bank's size.
    await svc.close({ keepData: true });
    const file = join(svc.dataDir, 'memory.sqlite');
    const db = new Database(file, { readonly: true });
    const r = db.prepare(`SELECT COUNT(*) AS n, SUM(LENGTH(modulation)) AS modulation, SUM(LENGTH(embedding)) AS embedding,
      SUM(LENGTH(CAST(text AS BLOB))) AS text FROM passages`).get() as { n: number; modulation: number; embedding: number; text: number };
    db.close();
    const fileBytes = statSync(file).size;
    rmSync(svc.dataDir, { recursive: true, force: true });
    const per = (bytes: number) => round(bytes / Math.max(r.n, 1), 1)!;
    const modulation = per(r.modulation);
    rows.push({
      codec, passages: r.n, modulation_bytes: modulation, embedding_bytes: per(r.embedding), text_bytes: per(r.text),
      // what the codec itself stores for a memory at full slots
      expected_modulation_bytes: encodeModulation(new Float32Array(values), codec).length, sqlite_file_bytes: per(fileBytes),
      /** How many times the MAC paper's fp32 modulation this memory is (above 1: larger). */
      vs_paper_fp32: round(modulation / PAPER_FP32_BYTES, 1),
    });
  }
  return {
    name: 'memory',
    data: { sample_paragraphs: sample.length, modulation_values: values, paper_fp32_bytes: PAPER_FP32_BYTES, codecs: rows },
    tables: [{
      title: `bytes per passage, ${sample.length} SQuAD paragraphs per codec, memory of ${memory.slots} ${memory.selection} positions`,
      columns: ['codec', 'passages', 'memory', 'expected at full slots', 'embedding', 'text', 'SQLite file (all tables, FTS5)', 'vs the paper\'s fp32 (36 KB)'],
      rows: rows.map((r) => [r.codec, r.passages, r.modulation_bytes, r.expected_modulation_bytes, r.embedding_bytes, r.text_bytes, r.sqlite_file_bytes, `${r.vs_paper_fp32}x`]),
    }],
    targets: rows.map((r) => ({
      name: `${r.codec} memory bytes/passage`, value: r.modulation_bytes, target: `<= ${TARGET_BYTES}`,
      // The target is for the default codec; the others are reported for the trade-off, not judged.
      met: r.codec === memory.codec ? r.modulation_bytes <= TARGET_BYTES : null,
    })),
    notes: [
      'memory (the modulation column), embedding and text are SUM(LENGTH(column)) / COUNT(*) over the passages table',
      'SQLite file: memory.sqlite after a clean shutdown divided by passages (documents, versions, jobs and the FTS5 index included)',
    ],
  };
}
