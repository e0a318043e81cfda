import { describe, expect, it } from 'vitest';
import { ExactIndex, SqliteStore, storedMemory } from '../memory/index.ts';
import type { StoredPassage } from '../memory/index.ts';
import { contradicts, couldContradict, relevance, selectCandidates, withoutContradicted, withoutRestated, type Candidate, type Reading } from './candidates.ts';

/** A unit vector at `angle` radians in the plane (so cosines are easy to read). */
const at = (angle: number) => Float32Array.of(Math.cos(angle), Math.sin(angle), 0);

/** A memory of one-passage documents, each [text, angle of its embedding, angles of its sentences' embeddings]. */
function memory(texts: [string, number, number[]?][]) {
  const store = new SqliteStore(':memory:');
  const index = new ExactIndex(3);
  texts.forEach(([text, angle, sentences = []], i) => {
    store.upsertDocuments([{ id: `d${i}`, text }], 1);
    const [job] = store.claimJobs(1, 2);
    const sentenceEmbeddings = Float32Array.from(sentences.flatMap((a) => [...at(a)]));
    const { added } = store.completeJob(job, [{ text, memory: storedMemory(new Float32Array(4), store.codec), embedding: at(angle), sentenceEmbeddings }], 3);
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

  it('ranks a passage by its nearest sentence too, where a sentence is nearer the question than the whole', () => {
    const { store: s, index: i } = memory([
      ['Opening hours are short. The ferry leaves at dawn. Tickets cost four euros.', 0.9, [1.4, 0.05, 1.1]],
      ['The harbour is old and busy with boats.', 0.6],
      ['Markets open at nine.', 1.5],
    ]);
    const c = selectCandidates(s, i, 'When?', at(0), 2, true); // no keyword hit: cosine alone
    expect(c.map((x) => x.passage.documentId)).toEqual(['d0', 'd1']);
    expect(c[0].relevance).toBeCloseTo(Math.cos(0.05), 5);
    expect(c[0].similarity).toBeCloseTo(Math.cos(0.9), 5);
  });

  it('falls back to the embedding when no keyword matches, and never returns a deleted passage', () => {
    expect(selectCandidates(store, index, 'Who?', at(1.2), 1, true)[0].passage.documentId).toBe('d2');
    const { store: s2, index: i2 } = memory([['Zebras graze.', 0], ['Zebras sleep.', 0.5]]);
    s2.deleteDocument('d0', 9);
    expect(selectCandidates(s2, i2, 'zebras', at(0), 2, true).map((x) => x.passage.documentId)).toEqual(['d1']);
  });
});

const ids = (kept: { passage: StoredPassage }[]) => kept.map((k) => k.passage.id);
const passage = (id: number, documentId: string, text: string, createdAt: number, publishedAt: number | null = null): StoredPassage => ({
  id, documentId, version: 1, ordinal: 0, text, title: null, source: null, memory: { codec: 'fp32', bytes: Buffer.alloc(0) },
  embedding: new Float32Array(3), sentenceEmbeddings: null, createdAt, publishedAt,
});

describe('relevance', () => {
  const unit = (...v: number[]) => { const n = Math.hypot(...v); return new Float32Array(v.map((x) => x / n)); };
  it('is the nearer of the passage and its nearest sentence', () => {
    const q = unit(1, 0, 0);
    const sentences = new Float32Array([...unit(0, 1, 0), ...unit(0.9, 0.1, 0)]);
    expect(relevance(q, { embedding: unit(1, 1, 1), sentenceEmbeddings: sentences })).toBeCloseTo(unit(0.9, 0.1, 0)[0], 5);
    expect(relevance(q, { embedding: unit(1, 0.1, 0), sentenceEmbeddings: new Float32Array(0) })).toBeCloseTo(unit(1, 0.1, 0)[0], 5);
    expect(relevance(q, { embedding: unit(1, 1, 1), sentenceEmbeddings: null })).toBeCloseTo(1 / Math.sqrt(3), 5); // a bank from before sentences
  });
});

describe('withoutRestated', () => {
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

describe('withoutContradicted', () => {
  const older = passage(1, 'library', 'The Harbor Library opened in 2025. Its director is Marta Silva.', 10, Date.parse('2025-03-03'));
  const newer = passage(2, 'news', 'The council appointed Tomas Keller to lead the Harbor Library from November.', 20, Date.parse('2026-11-20'));
  const candidate = (p: StoredPassage): Candidate => ({ passage: p, similarity: 0.5, relevance: 0.5, supersedes: [] });
  /** The passages read, each with the reader's best answer in it: [text, gap] by passage id. */
  const read = (answers: Record<number, [string, number]>, ...passages: (StoredPassage | Candidate)[]): Reading[] =>
    passages.map((p) => {
      const c = 'passage' in p ? p : candidate(p);
      const a = answers[c.passage.id];
      return { candidate: c, answer: a && { text: a[0], gap: a[1] } };
    });

  it('sets an older passage aside where a newer one of another document answers, differently, above the bar', () => {
    const kept = withoutContradicted(read({ 1: ['Marta Silva', 13], 2: ['Tomas Keller', 1.1] }, older, newer), 1);
    expect(ids(kept)).toEqual([2]);
    expect(kept[0].supersedes).toEqual([{ passage: older, reason: 'contradicts' }]);
  });

  it('keeps both where the newer answers below the bar, gives the same answer, or is of the same document', () => {
    expect(ids(withoutContradicted(read({ 1: ['Marta Silva', 13], 2: ['Tomas Keller', 0.5] }, older, newer), 1))).toEqual([1, 2]);
    expect(ids(withoutContradicted(read({ 1: ['Helena Marsh', 13], 2: ['Professor Helena Marsh', 9] }, older, newer), 1))).toEqual([1, 2]);
    expect(ids(withoutContradicted(read({ 1: ['Marta Silva', 13], 2: ['Tomas Keller', 5] }, older, { ...newer, documentId: 'library' }), 1))).toEqual([1, 2]);
    // a passage without an answer contradicts nothing, and nothing contradicts it
    expect(ids(withoutContradicted(read({ 2: ['Tomas Keller', 5] }, older, newer), 1))).toEqual([1, 2]);
  });

  it('reads age from published_at where both have one, else from indexing', () => {
    const answers: Record<number, [string, number]> = { 1: ['Marta Silva', 13], 2: ['Tomas Keller', 5], 3: ['Marta Silva', 13] };
    expect(ids(withoutContradicted(read(answers, newer, { ...older, createdAt: 30 }), 1))).toEqual([2]); // published later, indexed earlier
    expect(ids(withoutContradicted(read(answers, newer, passage(3, 'wiki', older.text, 30)), 1))).toEqual([3]); // undated: indexed later
  });

  it('keeps what was set aside for restating', () => {
    const restated = { ...candidate(newer), supersedes: [{ passage: passage(4, 'copy', 'x', 1), reason: 'restates' as const }] };
    const kept = withoutContradicted(read({ 1: ['Marta Silva', 13], 2: ['Tomas Keller', 5] }, older, restated), 1);
    expect(kept[0].supersedes.map((s) => s.reason)).toEqual(['restates', 'contradicts']);
  });

  it('finds the passages that could contradict what an answer reads: newer, of another document', () => {
    const ids = (ps: StoredPassage[]) => ps.map((p) => p.id);
    expect(ids(couldContradict([older, newer], [older]))).toEqual([2]);
    expect(ids(couldContradict([older, newer], [newer]))).toEqual([]); // the older never contradicts the newer
    expect(ids(couldContradict([older, { ...newer, documentId: 'library' }], [older]))).toEqual([]); // one document
    expect(ids(couldContradict([older, { ...newer, publishedAt: older.publishedAt }], [older]))).toEqual([]); // of the same age
    const [a, b] = [passage(3, 'a', 'x', 10), passage(4, 'b', 'y', 10)];
    expect(ids(couldContradict([a, b], [a, b]))).toEqual([]); // undated, indexed together
  });

  it('is the test a conflict note reads: a newer answer against the one given', () => {
    const [o, n] = read({ 1: ['Marta Silva', 13], 2: ['Tomas Keller', 5] }, older, newer);
    expect(contradicts(n, o, 4)).toBe(true);
    expect(contradicts(n, o, 6)).toBe(false);
    expect(contradicts(o, n, 4)).toBe(false); // the older never contradicts the newer
  });
});
