import { describe, expect, it } from 'vitest';
import { ExactIndex, SqliteStore } from '../memory/index.ts';
import { selectCandidates } from './candidates.ts';

/** A unit vector at `angle` radians in the plane (so cosines are easy to read). */
const at = (angle: number) => Float32Array.of(Math.cos(angle), Math.sin(angle), 0);

function memory(texts: [string, number][]) {
  const store = new SqliteStore(':memory:');
  const index = new ExactIndex(3);
  texts.forEach(([text, angle], i) => {
    store.upsertDocuments([{ id: `d${i}`, text }], 1);
    const [job] = store.claimJobs(1, 2);
    const { added } = store.completeJob(job, [{ text, modulation: new Float32Array(4), embedding: at(angle) }], 3);
    index.add(added[0].id, at(angle));
  });
  return { store, index };
}

describe('selectCandidates', () => {
  const { store, index } = memory([
    ['The river floods every spring.', 0.1], // nearest by embedding, no shared word
    ['Zebras graze on the savanna near the Serengeti.', 0.4], // a little farther, shares the rare words
    ['Markets open at nine.', 1.2],
  ]);
  const question = 'Where do zebras graze in the Serengeti?';

  it('ranks by embedding alone with RETRIEVAL=vector', () => {
    const c = selectCandidates(store, index, question, at(0), 2, false);
    expect(c.map((x) => x.passage.documentId)).toEqual(['d0', 'd1']);
    expect(c[0].similarity).toBeCloseTo(Math.cos(0.1), 5);
  });

  it('lets keyword evidence lift a passage the embedding ranks second', () => {
    const c = selectCandidates(store, index, question, at(0), 2, true);
    expect(c.map((x) => x.passage.documentId)).toEqual(['d1', 'd0']);
    expect(c[0].similarity).toBeCloseTo(Math.cos(0.4), 5); // still the cosine
  });

  it('falls back to the embedding when no keyword matches, and never returns a deleted passage', () => {
    expect(selectCandidates(store, index, 'Who?', at(1.2), 1, true)[0].passage.documentId).toBe('d2');
    const { store: s2, index: i2 } = memory([['Zebras graze.', 0], ['Zebras sleep.', 0.5]]);
    s2.deleteDocument('d0', 9);
    expect(selectCandidates(s2, i2, 'zebras', at(0), 2, true).map((x) => x.passage.documentId)).toEqual(['d1']);
  });
});
