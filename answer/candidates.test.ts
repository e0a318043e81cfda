import { describe, expect, it } from 'vitest';
import { ExactIndex, SqliteStore } from '../memory/index.ts';
import type { StoredPassage } from '../memory/index.ts';
import { selectCandidates, withoutRestated } from './candidates.ts';

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

describe('withoutRestated', () => {
  const ids = (kept: { passage: StoredPassage }[]) => kept.map((k) => k.passage.id);
  const passage = (id: number, documentId: string, text: string, createdAt: number, publishedAt: number | null = null): StoredPassage => ({
    id, documentId, version: 1, ordinal: 0, text, title: null, source: null, memory: { codec: 'fp32', bytes: Buffer.alloc(0) },
    embedding: new Float32Array(3), createdAt, publishedAt,
  });
  const old = 'The Harbor Library opened in 1911 and its first director was Ada Brennan, who ran it for twenty years.';
  const fixed = 'The Harbor Library opened in 1912 and its first director was Ada Brennan, who ran it for twenty years.';
  const q = 'When did the Harbor Library open?';

  it('lets a newer document that restates a passage stand for it, wherever the older ranked', () => {
    const [a, b, c] = [passage(1, 'wiki', old, 10), passage(2, 'news', fixed, 20), passage(3, 'other', 'Markets open at nine.', 5)];
    expect(ids(withoutRestated([a, b, c], q))).toEqual([2, 3]);
    expect(withoutRestated([a, b, c], q).map((k) => k.supersedes.map((p) => p.id))).toEqual([[1], []]);
    expect(ids(withoutRestated([b, a, c], q))).toEqual([2, 3]);
  });

  it('reads age from published_at where both have one, else from indexing', () => {
    const wiki = passage(1, 'wiki', old, 30, Date.parse('2026-05-01'));
    const news = passage(2, 'news', fixed, 20, Date.parse('2020-01-01'));
    expect(ids(withoutRestated([news, wiki], q))).toEqual([1]);
    expect(ids(withoutRestated([passage(2, 'news', fixed, 20), wiki], q))).toEqual([1]); // indexed later
  });

  it('keeps passages that differ, of one document, or of the same age', () => {
    const other = 'The Harbor Library holds 40,000 books and a map collection donated by the port authority in 1990.';
    expect(withoutRestated([passage(1, 'wiki', old, 10), passage(2, 'news', other, 20)], q)).toHaveLength(2);
    expect(withoutRestated([passage(1, 'wiki', old, 10), passage(2, 'wiki', fixed, 20)], q)).toHaveLength(2);
    expect(withoutRestated([passage(1, 'wiki', old, 10), passage(2, 'news', fixed, 10)], q)).toHaveLength(2);
  });

  it('keeps the older where the question points at it: a word it holds that the newer lacks', () => {
    const week = (n: number, sales: number) => `Weekly report for week ${n}: the harbor shop by the old ferry pier sold ${sales} tickets to visitors, most of them from the morning ferry, and the museum cafe stayed open late on both weekend days as usual.`;
    const [w12, w13] = [passage(1, 'report-12', week(12, 40), 10), passage(2, 'report-13', week(13, 55), 20)];
    expect(ids(withoutRestated([w12, w13], 'How many tickets were sold in week 12?'))).toEqual([1, 2]);
    expect(ids(withoutRestated([w12, w13], 'How many tickets did the harbor shop sell?'))).toEqual([2]);
  });

  it('lets a newer short item that restates one sentence stand for the older passage, unless the question asks about the rest', () => {
    const paragraph = passage(1, 'wiki', `${old} The reading room was rebuilt after a fire and reopened with a map collection donated by the port authority.`, 10);
    const brief = passage(2, 'news', 'The Harbor Library opened in 1912 and its first director was Ada Brennan.', 20);
    expect(ids(withoutRestated([paragraph, brief], q))).toEqual([2]);
    expect(ids(withoutRestated([paragraph, brief], 'Who donated the map collection?'))).toEqual([1, 2]);
    // too short to compare
    expect(ids(withoutRestated([paragraph, passage(3, 'news', 'Harbor Library', 30)], 'Harbor Library?'))).toEqual([1, 3]);
  });
});
