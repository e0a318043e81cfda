import { describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeModulation, storedMemory } from './codec.ts';
import { SqliteStore } from './sqlite-store.ts';

const passage = (text: string) => ({ text, memory: storedMemory(new Float32Array(8).fill(0.5), 'q8'), embedding: Float32Array.of(1, 0, 0) });

describe('SqliteStore', () => {
  it('is idempotent on same content and versions new content', () => {
    const s = new SqliteStore(':memory:');
    expect(s.upsertDocuments([{ id: 'a', text: 'one' }], 1)[0]).toMatchObject({ version: 1, outcome: 'queued' });
    expect(s.upsertDocuments([{ id: 'a', text: 'one' }], 2)[0]).toMatchObject({ version: 1, outcome: 'unchanged' });
    expect(s.upsertDocuments([{ id: 'a', text: 'two' }], 3)[0]).toMatchObject({ version: 2, outcome: 'queued' });
    expect(s.claimJobs(10, 4)).toHaveLength(2);
  });

  it('stores passages only for the current version and supersedes older ones', () => {
    const s = new SqliteStore(':memory:');
    s.upsertDocuments([{ id: 'a', text: 'v1' }], 1);
    const [j1] = s.claimJobs(1, 2);
    const first = s.completeJob(j1, [passage('v1')], 3);
    expect(first.added).toHaveLength(1);
    s.upsertDocuments([{ id: 'a', text: 'v2' }], 4);
    const [j2] = s.claimJobs(1, 5);
    const second = s.completeJob(j2, [passage('v2')], 6);
    expect(second.removed).toEqual([first.added[0].id]);
    expect(s.getPassages([first.added[0].id])).toEqual([]);
    expect(s.getDocument('a')!.versions.map((v) => v.status)).toEqual(['superseded', 'indexed']);
  });

  it('stores a memory as the encoder quantized it, and refuses one in another codec than the bank\'s', () => {
    const s = new SqliteStore(':memory:', 'q4');
    s.upsertDocuments([{ id: 'a', text: 'v1' }, { id: 'b', text: 'v1' }], 1);
    const [ja, jb] = s.claimJobs(2, 2);
    const values = Float32Array.from({ length: 64 }, (_, i) => i / 64);
    const memory = storedMemory(values, 'q4');
    const { added } = s.completeJob(ja, [{ ...passage('v1'), memory }], 3);
    expect(s.getPassages([added[0].id])[0].memory).toEqual({ codec: 'q4', bytes: Buffer.from(memory.bytes) });
    expect(() => s.completeJob(jb, [passage('v1')], 3)).toThrow(/codec q8 cannot be stored in a bank of codec q4/);
    expect(s.getDocument('b')!.versions[0].status).toBe('queued');
  });

  it('stores nothing for a job whose document was deleted meanwhile', () => {
    const s = new SqliteStore(':memory:');
    s.upsertDocuments([{ id: 'a', text: 'v1' }], 1);
    const [job] = s.claimJobs(1, 2);
    s.deleteDocument('a', 3);
    expect(s.completeJob(job, [passage('v1')], 4).stored).toBe(false);
    expect(s.passageIds()).toEqual([]);
    expect(s.getDocument('a')!.status).toBe('deleted');
  });

  it('replaces the passages of an indexed current version, and of no other', () => {
    const s = new SqliteStore(':memory:');
    s.upsertDocuments([{ id: 'a', text: 'one. two.' }, { id: 'b', text: 'three' }], 1);
    const jobs = s.claimJobs(2, 2);
    const a = s.completeJob(jobs[0], [passage('one.'), passage('two.')], 3);
    s.completeJob(jobs[1], [passage('three')], 3);
    expect(s.indexedVersions('', 10).map((v) => [v.documentId, v.version, v.text])).toEqual([['a', 1, 'one. two.'], ['b', 1, 'three']]);
    expect(s.indexedVersions('a', 10).map((v) => v.documentId)).toEqual(['b']);
    const change = s.replacePassages('a', 1, [passage('one. two.')], 4);
    expect(change).toMatchObject({ stored: true, removed: a.added.map((p) => p.id) });
    expect(s.documentPassages('a').map((p) => p.text)).toEqual(['one. two.']);
    expect(s.getDocument('a')!.versions[0]).toMatchObject({ status: 'indexed', passages: 1 });
    // a version no longer current (a new one queued), or a deleted document: nothing stored
    s.upsertDocuments([{ id: 'a', text: 'four' }], 5);
    expect(s.replacePassages('a', 1, [passage('x')], 6).stored).toBe(false);
    expect(s.indexedVersions('', 10).map((v) => v.documentId)).toEqual(['b']);
    s.deleteDocument('b', 7);
    expect(s.replacePassages('b', 1, [passage('x')], 8).stored).toBe(false);
    expect(s.documentPassages('a').map((p) => p.text)).toEqual(['one. two.']);
  });

  it('requeues running jobs after a crash and retries failures up to the limit', () => {
    const s = new SqliteStore(':memory:');
    s.upsertDocuments([{ id: 'a', text: 'v1' }], 1);
    s.claimJobs(1, 2);
    expect(s.requeueRunning()).toBe(1);
    const [job] = s.claimJobs(1, 3);
    s.failJob(job, 'boom', 4, 3);
    const [again] = s.claimJobs(1, 5);
    expect(again.attempts).toBe(3);
    s.failJob(again, 'boom', 6, 3);
    expect(s.getDocument('a')!.status).toBe('failed');
  });

  it('converts memories of another codec in place, keeping their embedding, and leaves other formats alone; vacuum frees the space', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'mac-convert-')), 'memory.sqlite');
    const before = new SqliteStore(file, 'q8', 'kv-x-q8');
    before.upsertDocuments([{ id: 'a', text: 'x' }, { id: 'b', text: 'y' }], 1);
    const values = Float32Array.from({ length: 32768 }, (_, i) => Math.sin(i));
    for (const job of before.claimJobs(2, 2)) before.completeJob(job, [{ ...passage(job.text), memory: storedMemory(values, 'q8') }], 3);
    before.close();
    const after = new SqliteStore(file, 'q4', 'kv-x-q4');
    expect(after.convertMemories('kv-other', 10)).toBe(0);
    expect(after.convertMemories('kv-x-q8', 1)).toBe(1); // a batch at a time
    expect(after.convertMemories('kv-x-q8', 10)).toBe(1);
    expect(after.convertMemories('kv-x-q8', 10)).toBe(0);
    expect([...after.memoryFormats()]).toEqual([['kv-x-q4', 2]]);
    const [p] = after.getPassages(after.passageIds());
    expect(p.memory.codec).toBe('q4');
    expect(p.embedding).toEqual(Float32Array.of(1, 0, 0));
    const back = decodeModulation(p.memory.bytes, 'q4');
    expect(Math.max(...values.map((v, i) => Math.abs(v - back[i])))).toBeLessThan(2 / 15);
    expect(after.freeBytes()).toBeGreaterThan(0); // q4 takes fewer pages than q8 did
    after.vacuum();
    expect(after.freeBytes()).toBe(0);
    after.close();
  });

  it('keeps each passage\'s sentence embeddings (empty for one sentence), and tells their size, null for those made before them', () => {
    const s = new SqliteStore(':memory:');
    s.upsertDocuments([{ id: 'a', text: 'One. Two.' }], 1);
    const [job] = s.claimJobs(1, 2);
    const sentences = Float32Array.of(1, 0, 0, 0, 1, 0);
    const { added } = s.completeJob(job, [{ ...passage('One. Two.'), sentenceEmbeddings: sentences }, { ...passage('Three.'), sentenceEmbeddings: new Float32Array(0) }, passage('Four.')], 3);
    const [two, one, older] = s.getPassages(added.map((a) => a.id));
    expect(two.sentenceEmbeddings).toEqual(sentences);
    expect(one.sentenceEmbeddings).toEqual(new Float32Array(0));
    expect(older.sentenceEmbeddings).toBeNull();
    expect(s.passagesWithSentenceBytes(0, 10).map((r) => r.sentenceBytes)).toEqual([24, 0, null]);
    expect(s.passagesWithSentenceBytes(one.id, 10)).toEqual([{ id: older.id, text: 'Four.', sentenceBytes: null }]);
    expect(s.countPassages()).toBe(3);
    s.setSentenceEmbeddings(older.id, new Float32Array(0));
    expect(s.passagesWithSentenceBytes(one.id, 10)[0].sentenceBytes).toBe(0);
  });

  it('finds passages by keyword (FTS5) and forgets them on delete', () => {
    const s = new SqliteStore(':memory:');
    s.upsertDocuments([{ id: 'a', text: 'x' }], 1);
    const [job] = s.claimJobs(1, 2);
    s.completeJob(job, [passage('Zebras graze on the savanna.')], 3);
    expect(s.keywordSearch('where do zebras graze?', 5)).toHaveLength(1);
    const [id] = s.passageIds();
    expect(s.keywordSearch('zebras', 5, [id + 1])).toEqual([]);
    expect(s.keywordSearch('zebras', 5, [id]).map((h) => h.id)).toEqual([id]);
    expect(s.keywordSearch('where is it?', 5)).toEqual([]); // only stopwords: no query
    expect([...s.embeddingsOf([id, id + 1]).keys()]).toEqual([id]);
    expect(s.embeddingsOf([id]).get(id)).toEqual({ embedding: Float32Array.of(1, 0, 0), sentenceEmbeddings: null });
    s.deleteDocument('a', 4);
    expect(s.keywordSearch('zebras', 5)).toHaveLength(0);
    expect(s.embeddingsOf([id]).size).toBe(0);
  });
});
