import { beforeEach, describe, expect, it } from 'vitest';
import type { CollectionSummary, DocumentFilter, DocumentInput, DocumentRecord, DocumentSummary, FreshnessStats, Scope, UpsertResult } from './types.ts';

/** A storage under the lifecycle suite: its documents port, and its own way to finish or fail a version. */
export interface LifecycleStorage {
  /** `scope` absent: an unscoped caller ('*'). */
  upsert(docs: DocumentInput[], receivedAt: number, scope?: Scope): Promise<UpsertResult[]>;
  get(id: string): Promise<DocumentRecord | null>;
  list(options: { filter: DocumentFilter; after?: string; limit: number }): Promise<DocumentSummary[]>;
  delete(id: string, at: number): Promise<unknown>;
  freshness(collections?: readonly string[]): Promise<FreshnessStats>;
  collections(collections?: readonly string[]): Promise<CollectionSummary[]>;
  createCollection(name: string, at: number): Promise<boolean>;
  dropCollection(name: string): Promise<boolean>;
  /** Indexes a queued version, as the storage's worker or queue consumer does. */
  index(id: string, version: number): Promise<void>;
  /** Fails a queued version for good, as when its retries are spent. */
  fail(id: string, version: number, error: string): Promise<void>;
}

async function sha256(text: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text)));
  return [...digest].map((b) => b.toString(16).padStart(2, '0')).join('');
}

/**
 * One document lifecycle, one test suite: run against SQLite (memory/lifecycle.test.ts) and D1 at the
 * edge (edge/lifecycle.test.ts). Storages may be shared between tests, so ids and sources are unique
 * per test and freshness is compared before and after.
 */
export function lifecycleSuite(open: () => Promise<LifecycleStorage>): void {
  let s: LifecycleStorage;
  let prefix: string;
  let n = 0;
  beforeEach(async () => {
    s = await open();
    prefix = `t${Date.now().toString(36)}-${n++}`;
  });
  const doc = (id: string, text: string, extra: Partial<DocumentInput> = {}): DocumentInput => ({ id: `${prefix}-${id}`, text, ...extra });
  const status = async (id: string) => (await s.get(`${prefix}-${id}`))!;

  describe('document lifecycle', () => {
    it('new content is the next version; the same content again changes nothing; a new title is new content', async () => {
      const [first] = await s.upsert([doc('a', 'The bridge reopened in March.', { title: 'Bridge' })], 1_000);
      expect(first).toMatchObject({ version: 1, outcome: 'queued', status: 'queued' });
      const [same] = await s.upsert([doc('a', 'The bridge reopened in March.', { title: 'Bridge' })], 2_000);
      expect(same).toMatchObject({ version: 1, outcome: 'unchanged' });
      const [retitled] = await s.upsert([doc('a', 'The bridge reopened in March.', { title: 'Bridge news' })], 3_000);
      expect(retitled).toMatchObject({ version: 2, outcome: 'queued' });
      const record = await status('a');
      expect(record.versions.map((v) => [v.version, v.status])).toEqual([[1, 'superseded'], [2, 'queued']]);
      // The hash covers the title and the text, the same on every storage.
      expect(record.versions[0].contentSha256).toBe(await sha256(JSON.stringify(['Bridge', 'The bridge reopened in March.'])));
    });

    it('indexing makes the version current; newer content supersedes it only once indexed', async () => {
      await s.upsert([doc('b', 'Version one.')], 1_000);
      await s.index(`${prefix}-b`, 1);
      let record = await status('b');
      expect(record.status).toBe('indexed');
      expect(record.versions[0]).toMatchObject({ version: 1, status: 'indexed', error: null });
      expect(record.versions[0].passages).toBeGreaterThan(0);
      expect(record.versions[0].indexedAt).not.toBeNull();
      await s.upsert([doc('b', 'Version two.')], 2_000);
      record = await status('b');
      expect(record.status).toBe('queued');
      expect(record.versions.map((v) => v.status)).toEqual(['indexed', 'queued']);
      await s.index(`${prefix}-b`, 2);
      record = await status('b');
      expect([record.status, record.currentVersion]).toEqual(['indexed', 2]);
      expect(record.versions.map((v) => v.status)).toEqual(['superseded', 'indexed']);
    });

    it('a version that fails for good fails the document, and the same content is then taken again', async () => {
      await s.upsert([doc('c', 'Unlucky text.')], 1_000);
      await s.fail(`${prefix}-c`, 1, 'encoder down');
      const record = await status('c');
      expect(record.status).toBe('failed');
      expect(record.versions[0]).toMatchObject({ status: 'failed', error: 'encoder down' });
      const [again] = await s.upsert([doc('c', 'Unlucky text.')], 2_000);
      expect(again).toMatchObject({ version: 2, outcome: 'queued' });
    });

    it('deletion leaves a tombstone without title, source, url, metadata or published time; new content revives it', async () => {
      await s.upsert([doc('d', 'Private text.', { title: 'Secret', source: 'wiki', url: 'https://example.com/d', publishedAt: 500, metadata: { team: 'x' } })], 1_000);
      await s.index(`${prefix}-d`, 1);
      await s.delete(`${prefix}-d`, 2_000);
      const record = await status('d');
      expect(record).toMatchObject({ status: 'deleted', deletedAt: 2_000, title: null, source: null, url: null, metadata: null, publishedAt: null });
      expect(record.versions.map((v) => v.status)).toEqual(['deleted']);
      expect((await s.list({ filter: {}, limit: 100, after: prefix })).map((d) => d.id).filter((id) => id.startsWith(prefix))).toEqual([]);
      const [revived] = await s.upsert([doc('d', 'New text.')], 3_000);
      expect(revived).toMatchObject({ version: 2, outcome: 'queued' });
      expect((await status('d')).deletedAt).toBeNull();
    });

    it('lists documents by id, a page at a time, filtered by source', async () => {
      const source = `${prefix}-src`;
      await s.upsert(['e3', 'e1', 'e2'].map((id) => doc(id, `Text ${id}.`, { source })), 1_000);
      await s.upsert([doc('e4', 'Other source.', { source: `${prefix}-other` })], 1_000);
      const page1 = await s.list({ filter: { source }, limit: 2 });
      expect(page1.map((d) => d.id)).toEqual([`${prefix}-e1`, `${prefix}-e2`]);
      const page2 = await s.list({ filter: { source }, after: page1[1].id, limit: 2 });
      expect(page2.map((d) => d.id)).toEqual([`${prefix}-e3`]);
      expect(page2[0]).toMatchObject({ status: 'queued', currentVersion: 1, source });
    });

    it('collections: a document belongs to one; a caller writes only within its scope; filters narrow the list', async () => {
      const [a, b] = [`${prefix}-ca`, `${prefix}-cb`];
      await s.upsert([doc('g1', 'In A.', { collection: a, metadata: { team: 'x', n: 3 } }), doc('g2', 'In B.', { collection: b })], 1_000, [a, b]);
      expect((await status('g1')).collection).toBe(a);
      expect((await s.upsert([doc('g2', 'Taken over.', { collection: a })], 2_000, [a]))[0]).toMatchObject({ outcome: 'rejected', error: { code: 'forbidden_collection' } });
      expect((await status('g2')).versions).toHaveLength(1);
      const ids = async (filter: DocumentFilter) => (await s.list({ filter, limit: 100 })).map((d) => d.id);
      expect(await ids({ collections: [a] })).toEqual([`${prefix}-g1`]);
      expect(await ids({ collections: [a, b] })).toEqual([`${prefix}-g1`, `${prefix}-g2`]);
      expect(await ids({ collections: [a], metadata: { team: 'x', n: 3 } })).toEqual([`${prefix}-g1`]);
      expect(await ids({ collections: [a], metadata: { team: 'y' } })).toEqual([]);
      // The same content with a new description: no new version, the description changes at once.
      expect((await s.upsert([doc('g1', 'In A.', { collection: a, source: 'wiki', metadata: { team: 'y' } })], 3_000, [a]))[0]).toMatchObject({ outcome: 'unchanged', version: 1 });
      expect(await ids({ collections: [a], metadata: { team: 'y' }, source: 'wiki' })).toEqual([`${prefix}-g1`]);
      // A caller holding both collections moves a document.
      expect((await s.upsert([doc('g2', 'In B.', { collection: a })], 4_000, [a, b]))[0]).toMatchObject({ outcome: 'unchanged' });
      expect((await status('g2')).collection).toBe(a);
      expect((await s.freshness([b])).documents.total).toBe(0);
      expect((await s.freshness([a])).documents.total).toBe(2);
    });

    it('registers collections when created or first named, lists them with their documents, and drops them', async () => {
      const [empty, named] = [`${prefix}-empty`, `${prefix}-named`];
      expect(await s.createCollection(empty, 1_000)).toBe(true);
      expect(await s.createCollection(empty, 2_000)).toBe(false);
      await s.upsert([doc('i1', 'One.', { collection: named }), doc('i2', 'Two.', { collection: named })], 1_000);
      await s.index(`${prefix}-i1`, 1);
      const listed = await s.collections([empty, named, `${prefix}-unknown`]);
      expect(listed.map((c) => [c.name, c.documents, c.indexed, c.queued])).toEqual([[empty, 0, 0, 0], [named, 2, 1, 1]]);
      expect(await s.dropCollection(empty)).toBe(true);
      expect(await s.dropCollection(empty)).toBe(false);
      expect((await s.collections([empty])).length).toBe(0);
    });

    it('a delivery older than the one that made the current version is stale: versions never go backwards', async () => {
      expect((await s.upsert([doc('h', 'Price is 5.', { sequence: 20 })], 1_000))[0]).toMatchObject({ version: 1, outcome: 'queued' });
      expect((await s.upsert([doc('h', 'Price is 4.', { sequence: 10 })], 2_000))[0]).toMatchObject({ outcome: 'rejected', error: { code: 'stale_delivery' } });
      expect((await s.upsert([doc('h', 'Price is 5.', { sequence: 10 })], 2_500))[0]).toMatchObject({ outcome: 'unchanged', version: 1 });
      expect((await s.upsert([doc('h', 'Price is 6.', { sequence: 30 })], 3_000))[0]).toMatchObject({ version: 2, outcome: 'queued' });
      // Deliveries without an order (an API key, no X-Sequence) are taken as they come.
      expect((await s.upsert([doc('h', 'Price is 7.')], 4_000))[0]).toMatchObject({ version: 3, outcome: 'queued' });
      expect((await status('h')).versions.map((v) => v.version)).toEqual([1, 2, 3]);
    });

    it('freshness counts documents and versions and measures each indexed version\'s lags', async () => {
      const before = await s.freshness();
      await s.upsert([doc('f1', 'One.', { publishedAt: Date.now() - 60_000 }), doc('f2', 'Two.')], Date.now() - 30_000);
      await s.index(`${prefix}-f1`, 1);
      await s.upsert([doc('f1', 'One, edited.')], Date.now());
      await s.index(`${prefix}-f1`, 2);
      const after = await s.freshness();
      expect(after.documents.total - before.documents.total).toBe(2);
      expect(after.documents.indexed - before.documents.indexed).toBe(1);
      expect(after.documents.queued - before.documents.queued).toBe(1);
      expect(after.versions.superseded - before.versions.superseded).toBe(1);
      expect(after.lags.receivedToIndexed.length - before.lags.receivedToIndexed.length).toBe(2);
      // Version 1 carried a published time 60 s before it arrived; version 2 none.
      expect(after.lags.publishedToReceived.length - before.lags.publishedToReceived.length).toBe(1);
      expect(after.lags.publishedToReceived.some((lag) => lag >= 29_000 && lag <= 31_000)).toBe(true);
    });
  });
}
