import { progressBar } from '../bench/progress.ts';
import { toDocument, type SquadParagraph } from '../bench/squad.ts';
import { splitForEncoder, type OnnxEncoder } from '../encoder/index.ts';
import { ExactIndex, SqliteStore, storedMemory } from '../memory/index.ts';

/**
 * A SQuAD file's paragraphs as retrieval reads them, without the memories (retrieval does not read them):
 * split into passages as the ingestion worker splits them, each stored with its retrieval embedding (and,
 * with `sentences`, its sentences' embeddings, which the similarity gate reads) in an in-memory SQLite store
 * and an exact vector index. For eval/retrieval.ts and eval/gate-evidence.ts.
 */
export async function retrievalBank(encoder: OnnxEncoder, paragraphs: SquadParagraph[], o: { label: string; sentences: boolean }) {
  const store = new SqliteStore(':memory:');
  const index = new ExactIndex(encoder.dim);
  const bar = progressBar(o.label, paragraphs.length);
  for (const [i, p] of paragraphs.entries()) {
    store.upsertDocuments([toDocument(p)], 1);
    const [job] = store.claimJobs(1, 2);
    const texts = splitForEncoder(job.text, encoder);
    const embeddings = await encoder.embedTexts(texts);
    const passages = [];
    for (const [j, text] of texts.entries()) {
      passages.push({ text, embedding: embeddings[j], memory: storedMemory(new Float32Array(0), store.codec), ...(o.sentences ? { sentenceEmbeddings: await encoder.embedSentences(text) } : {}) });
    }
    const { added } = store.completeJob(job, passages, 3);
    for (const a of added) index.add(a.id, a.embedding);
    bar.update(i + 1);
  }
  bar.done();
  return { store, index };
}
