import { describe, expect, it } from 'vitest';
import { SqliteStore, storedMemory } from '../memory/index.ts';
import { splitAnew, splitOtherwise } from './resplit.ts';

const words = { countTokens: (s: string) => s.split(/\s+/).filter(Boolean).length, maxPassageTokens: 64 };
const passage = (text: string) => ({ text, memory: storedMemory(new Float32Array(8).fill(0.5), 'q8'), embedding: Float32Array.of(1, 0, 0) });
const long = (w: string) => Array.from({ length: 40 }, (_, i) => `${w}${i}`).join(' ') + '.';

/** A bank holding `doc` (two paragraphs) in a single passage, as an earlier release might have, and `one` as this release splits it. */
function bank() {
  const store = new SqliteStore(':memory:');
  const doc = `${long('a')}\n\n${long('b')}`;
  store.upsertDocuments([{ id: 'doc', text: doc }, { id: 'one', text: long('c') }], 1);
  for (const job of store.claimJobs(2, 2)) store.completeJob(job, [passage(job.text)], 3);
  return { store, doc };
}

describe('splitting a stored bank anew', () => {
  it("gives this release's passages only for a document stored otherwise", () => {
    const { store, doc } = bank();
    expect(splitAnew(store, words, 'doc', doc)).toEqual([long('a'), long('b')]);
    expect(splitAnew(store, words, 'one', long('c'))).toBeNull();
  });

  it('counts the documents stored otherwise among the first checked, for the start-up warning', () => {
    expect(splitOtherwise(bank().store, words)).toEqual({ checked: 2, otherwise: 1 });
    expect(splitOtherwise(bank().store, words, 1)).toEqual({ checked: 1, otherwise: 1 });
    // a character budget ends the check early, after the first document at least
    const { store, doc } = bank();
    expect(splitOtherwise(store, words, 32, doc.length)).toEqual({ checked: 1, otherwise: 1 });
    expect(splitOtherwise(store, words, 32, 1)).toEqual({ checked: 1, otherwise: 1 });
  });
});
