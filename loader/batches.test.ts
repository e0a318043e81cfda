import { describe, expect, it } from 'vitest';
import { batches } from './batches.ts';

describe('posting documents in batches', () => {
  it('closes a batch at its document count or its bytes, and posts a document over the bytes alone', () => {
    const docs = ['a', 'b', 'c', 'd', 'e'].map((id) => ({ id, text: id.repeat(id === 'c' ? 100 : 10) }));
    const ids = (bs: { id: string }[][]) => bs.map((b) => b.map((d) => d.id));
    expect(ids(batches(docs, 2, 1e6))).toEqual([['a', 'b'], ['c', 'd'], ['e']]);
    // each small document is 30 bytes of JSON, c is 121: c alone, the rest in pairs
    expect(ids(batches(docs, 50, 70))).toEqual([['a', 'b'], ['c'], ['d', 'e']]);
    expect(batches([], 50, 70)).toEqual([]);
  });
});
