import { existsSync, rmSync } from 'node:fs';
import { paths, readConfig } from '../server/index.ts';
import { loadBundle } from '../bundle/index.ts';
import { codecOfFormat, memoryFormat, OnnxEncoder } from '../encoder/index.ts';
import { progressBar } from '../bench/progress.ts';
import { lockDataDirOrExit } from './data-lock.ts';
import { openIndex, saveSnapshot } from './open-index.ts';
import { splitAnew } from '../ingest/index.ts';
import { SqliteStore } from './sqlite-store.ts';
import { sentencesToEmbed } from '../core/sentences.ts';

// `npm run reindex` (the service stopped): brings a memory bank to this service and bundle, then rebuilds
// the vector index.
// - A document whose text this service splits into other passages (a bank made before a change to
//   encoder/passages.ts, or with another bundle's tokenizer) has its passages replaced, encoded anew.
// - Passages this bundle made with another codec (MODULATION_CODEC) are converted from their stored memory,
//   without the encoder; passages of any other format (an older bundle, other memory settings) are
//   re-encoded from their stored text.
// - Passages stored before sentences were embedded get their sentence embeddings (the similarity gate reads them).
// All go in small transactions, so an interrupted run resumes. `--vacuum` then rewrites the file without
// the pages a smaller codec freed.
const config = readConfig();
const p = paths(config);
if (!existsSync(p.database)) {
  console.error(`No memory bank at ${p.database}; set DATA_DIR.`);
  process.exit(1);
}
const lock = lockDataDirOrExit(config.DATA_DIR, 'npm run reindex');
const bundle = await loadBundle(config.BUNDLE_DIR, { threads: config.THREADS, verifyHashes: false });
const { manifest } = bundle;
const codec = config.MODULATION_CODEC ?? manifest.memory.codec;
const format = memoryFormat(manifest, codec);
const store = new SqliteStore(p.database, codec, format);
const started = performance.now();
const encoder = new OnnxEncoder(bundle, codec);
const resplit = await resplitBank();
let converted = 0;
for (const [from, n] of store.memoryFormats()) {
  const fromCodec = from === format ? undefined : codecOfFormat(manifest, from);
  if (!fromCodec) continue;
  const bar = progressBar(`converting ${fromCodec} memories to ${codec}`, n);
  let done = 0;
  for (let k = store.convertMemories(from, 256); k; k = store.convertMemories(from, 256)) bar.update((done += k));
  bar.done();
  converted += done;
}
const toDo = [...store.memoryFormats()].filter(([f]) => f !== format).reduce((n, [, c]) => n + c, 0);
if (toDo) {
  const bar = progressBar(`re-encoding to ${format}`, toDo);
  let done = 0;
  for (let batch = store.passagesToReencode(0, 64); batch.length; batch = store.passagesToReencode(batch[batch.length - 1].id, 64)) {
    for (const row of batch) {
      const [encoded] = await encoder.encodePassages([row.text]);
      store.replaceMemory(row.id, encoded.memory, encoded.embedding);
      bar.update(++done);
    }
  }
  bar.done();
} else if (!converted) {
  console.log(`every passage is already in format ${format}`);
}
const sentencesEmbedded = await embedStaleSentences();
rmSync(p.index, { force: true });
rmSync(`${p.index}.meta.json`, { force: true });
const { index } = openIndex(store, p.index, manifest.dims.encoder_dim, manifest.bundle_id, {}, (n) => process.stdout.write(`\rindexed ${n} passages`));
saveSnapshot(index, p.index, { dim: manifest.dims.encoder_dim, bundleId: manifest.bundle_id, watermark: store.maxPassageId() });
console.log(`\n${resplit} documents split anew, ${converted} passages converted to ${codec}, ${toDo} re-encoded, ${sentencesEmbedded} given sentence embeddings, index rebuilt with ${index.size()} passages in ${((performance.now() - started) / 1000).toFixed(1)} s -> ${p.index}`);
const free = store.freeBytes();
if (process.argv.includes('--vacuum')) {
  store.vacuum();
  console.log(`vacuumed: ${(free / 2 ** 30).toFixed(2)} GiB of free pages given back to the disk`);
} else if (free > 64 * 1024 * 1024) {
  console.log(`${(free / 2 ** 30).toFixed(2)} GiB of ${p.database} is free pages, which new passages reuse; ` +
    '`npm run reindex -- --vacuum` (service stopped; needs free disk as large as the bank) gives them back to the disk.');
}
store.close();
await bundle.close();
lock.release();

/**
 * Embeds the sentences of passages whose stored sentence embeddings are not this service's: never embedded (a
 * bank made before the similarity gate read sentences), or embedded with other sentence boundaries (a bank
 * made before field lines parted sentences, core/text-blocks.ts); returns how many.
 */
async function embedStaleSentences(): Promise<number> {
  const bar = progressBar('checking sentence embeddings', store.countPassages());
  const bytesPerSentence = manifest.dims.encoder_dim * Float32Array.BYTES_PER_ELEMENT;
  let checked = 0;
  let embedded = 0;
  for (let batch = store.passagesWithSentenceBytes(0, 256); batch.length; batch = store.passagesWithSentenceBytes(batch[batch.length - 1].id, 256)) {
    for (const row of batch) {
      if (row.sentenceBytes !== sentencesToEmbed(row.text).length * bytesPerSentence) {
        store.setSentenceEmbeddings(row.id, await encoder.embedSentences(row.text));
        embedded++;
      }
      bar.update(++checked);
    }
  }
  bar.done();
  return embedded;
}

/** Replaces the passages of every document this service splits otherwise; returns how many it replaced. */
async function resplitBank(): Promise<number> {
  const bar = progressBar('checking passage splits', store.holdings('', 0).indexed);
  let checked = 0;
  let replaced = 0;
  for (let batch = store.indexedVersions('', 64); batch.length; batch = store.indexedVersions(batch[batch.length - 1].documentId, 64)) {
    for (const { documentId, version, text } of batch) {
      const split = splitAnew(store, encoder, documentId, text);
      if (split) {
        const encoded = await encoder.encodePassages(split);
        if (store.replacePassages(documentId, version, split.map((t, i) => ({ text: t, ...encoded[i] })), Date.now()).stored) replaced++;
      }
      bar.update(++checked);
    }
  }
  bar.done();
  return replaced;
}
