import { describe, expect, it } from 'vitest';
import type { EncodedPassage, Encoder } from '../encoder/index.ts';
import { ExactIndex, SqliteStore, storedMemory } from '../memory/index.ts';
import { IngestWorker } from './worker.ts';

/** An encoder whose models refuse any passage holding "refused" (as the memory encoder refuses one longer than the LM's window). */
const encoder: Encoder = {
  dim: 3,
  maxPassageTokens: 64,
  countTokens: (s) => s.split(/\s+/).filter(Boolean).length,
  splitDocuments: async (texts) => texts.map((t) => t.split('\n\n')),
  encodeQuestion: async () => ({ embedding: Float32Array.of(1, 0, 0) }),
  encodePassages: async (texts): Promise<EncodedPassage[]> => {
    if (texts.some((t) => t.includes('refused'))) throw new RangeError('passage of 23758 LM tokens exceeds the LM\'s 2048');
    return texts.map(() => ({ embedding: Float32Array.of(1, 0, 0), memory: storedMemory(new Float32Array(8).fill(0.5), 'q8'), sentenceEmbeddings: new Float32Array(0) }));
  },
};

describe('the ingestion worker', () => {
  it('fails only the document the models refuse, not the others of its round', async () => {
    const store = new SqliteStore(':memory:');
    store.upsertDocuments([{ id: 'a', text: 'First.\n\nSecond.' }, { id: 'bad', text: 'Fine.\n\nrefused' }, { id: 'b', text: 'Third.' }], 1);
    const worker = new IngestWorker({ store, index: new ExactIndex(3), encoder }, { batchJobs: 16, maxAttempts: 1, idleMs: 10 });
    expect(await worker.drain()).toBe(3);
    const status = (id: string) => store.getDocument(id)!.versions[0];
    expect(status('a')).toMatchObject({ status: 'indexed', passages: 2 });
    expect(status('b')).toMatchObject({ status: 'indexed', passages: 1 });
    expect(status('bad')).toMatchObject({ status: 'failed', error: expect.stringMatching(/exceeds the LM/) });
  });
});
