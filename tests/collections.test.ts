import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sign } from '../app/index.ts';
import { HnswIndex } from '../memory/index.ts';
import type { RunningService } from '../server/index.ts';
import { client, startTestService, waitIndexed } from './helpers.ts';

// Scoped keys on the real service (tiny bundle): key A holds collection `alpha`, key B `beta`, the
// admin key every collection, and a webhook secret writes `beta` only.
describe('collections with scoped keys, and filters', () => {
  let svc: RunningService;
  let a: ReturnType<typeof client>;
  let b: ReturnType<typeof client>;
  let admin: ReturnType<typeof client>;
  beforeAll(async () => {
    svc = await startTestService({ API_KEYS: 'key-a=alpha,key-b=beta,admin', WEBHOOK_SECRETS: 'hook-beta=beta' });
    [a, b, admin] = [client(svc.url, 'key-a'), client(svc.url, 'key-b'), client(svc.url, 'admin')];
    expect((await a.post('/v1/documents', { id: 'a-1', collection: 'alpha', text: 'The alpha reactor opened in 1999 in Oslo.', metadata: { team: 'red' } })).status).toBe(202);
    expect((await a.post('/v1/documents', { id: 'a-2', collection: 'alpha', text: 'The alpha canal was dug in 1850 near Bergen.', metadata: { team: 'blue' } })).status).toBe(202);
    expect((await b.post('/v1/documents', { id: 'b-1', collection: 'beta', text: 'The beta reactor opened in 2001 in Lyon.' })).status).toBe(202);
    for (const id of ['a-1', 'a-2', 'b-1']) await waitIndexed(admin, id);
  });
  afterAll(() => svc?.close());

  it('a key neither writes, lists, reads, nor deletes outside its collections', async () => {
    const write = await a.post('/v1/documents', { id: 'a-3', collection: 'beta', text: 'Not mine to write.' });
    expect(write.status).toBe(403);
    expect((await write.json()).error.code).toBe('forbidden_collection');
    const takeover = await a.post('/v1/documents', { documents: [{ id: 'b-1', collection: 'alpha', text: 'Taken over.' }, { id: 'a-4', collection: 'alpha', text: 'Mine.' }] });
    expect(takeover.status).toBe(202);
    expect((await takeover.json()).documents).toMatchObject([{ index: 0, id: 'b-1', outcome: 'rejected', error: { code: 'forbidden_collection' } }, { id: 'a-4', outcome: 'queued' }]);
    expect((await (await a.get('/v1/documents')).json()).documents.map((d: any) => d.id)).toEqual(['a-1', 'a-2', 'a-4']);
    expect((await (await b.get('/v1/documents')).json()).documents.map((d: any) => d.id)).toEqual(['b-1']);
    expect((await a.get('/v1/documents?collection=beta')).status).toBe(403);
    expect((await a.get('/v1/documents/b-1')).status).toBe(404);
    expect((await a.get('/v1/documents/b-1/passages')).status).toBe(404);
    expect((await a.del('/v1/documents/b-1')).status).toBe(404);
    expect((await admin.get('/v1/documents/b-1')).status).toBe(200);
    const freshness = await (await b.get('/v1/freshness')).json();
    expect(freshness.documents.total).toBe(1);
  });

  it('answers draw only on the caller\'s collections, and a filter narrows them', async () => {
    const sourcesOf = async (api: ReturnType<typeof client>, body: object) => {
      const r = await api.post('/v1/answers', { question: 'When did the reactor open?', mode: 'rag', top_k: 8, max_tokens: 2, ...body });
      expect(r.status).toBe(200);
      return [...new Set((await r.json()).sources.map((s: any) => s.document_id))].sort();
    };
    expect(await sourcesOf(a, {})).toEqual(['a-1', 'a-2', 'a-4']);
    expect(await sourcesOf(b, {})).toEqual(['b-1']);
    expect(await sourcesOf(admin, {})).toEqual(['a-1', 'a-2', 'a-4', 'b-1']);
    expect(await sourcesOf(admin, { filter: { collection: 'beta' } })).toEqual(['b-1']);
    expect(await sourcesOf(a, { filter: { metadata: { team: 'blue' } } })).toEqual(['a-2']);
    const forbidden = await a.post('/v1/answers', { question: 'q', filter: { collection: ['alpha', 'beta'] } });
    expect(forbidden.status).toBe(403);
    const chat = await (await a.post('/v1/chat/completions', { model: 'rag', messages: [{ role: 'user', content: 'When did the reactor open?' }], max_tokens: 2 })).json();
    expect(chat.sources.every((s: any) => s.document_id.startsWith('a-'))).toBe(true);
  });

  it('an answer restricted to one source never cites another', async () => {
    await admin.post('/v1/documents', { id: 'src-1', collection: 'alpha', source: 'atlas', text: 'The alpha reactor has two cooling towers.' });
    await waitIndexed(admin, 'src-1');
    const r = await (await admin.post('/v1/answers', { question: 'What does the reactor have?', mode: 'hybrid', top_k: 3, max_tokens: 2, filter: { source: 'atlas' } })).json();
    expect(r.sources.length).toBeGreaterThan(0);
    expect(r.sources.every((s: any) => s.source === 'atlas')).toBe(true);
  });

  it('lists, creates and deletes collections within the key\'s scope; /metrics shows per-collection series only to keys that see them', async () => {
    expect((await (await a.get('/v1/collections')).json()).collections.map((c: any) => c.name)).toEqual(['alpha']);
    expect((await (await admin.get('/v1/collections')).json()).collections.map((c: any) => c.name)).toEqual(['alpha', 'beta']);
    expect((await a.post('/v1/collections', { name: 'gamma' })).status).toBe(403);
    const created = await admin.post('/v1/collections', { name: 'gamma' });
    expect(created.status).toBe(201);
    expect(await created.json()).toMatchObject({ name: 'gamma', documents: 0 });
    expect((await admin.post('/v1/collections', { name: 'gamma' })).status).toBe(200);
    expect((await admin.post('/v1/collections', { name: 'no spaces' })).status).toBe(422);
    await admin.post('/v1/documents', { documents: [{ id: 'g-1', collection: 'gamma', text: 'Gamma one.' }, { id: 'g-2', collection: 'gamma', text: 'Gamma two.' }] });
    for (const id of ['g-1', 'g-2']) await waitIndexed(admin, id);
    const metricsWith = await (await fetch(`${svc.url}/metrics`, { headers: { authorization: 'Bearer key-a' } })).text();
    expect(metricsWith).toMatch(/^mac_collection_documents\{collection="alpha",status="indexed"\} \d+$/m);
    expect(metricsWith).not.toMatch(/collection="(beta|gamma)"/);
    expect(await (await fetch(`${svc.url}/metrics`)).text()).not.toMatch(/mac_collection_documents/);
    expect((await a.del('/v1/collections/gamma')).status).toBe(404);
    const dropped = await (await admin.del('/v1/collections/gamma')).json();
    expect(dropped).toMatchObject({ name: 'gamma', status: 'deleted', documents_deleted: 2 });
    expect(dropped.passages_removed).toBeGreaterThanOrEqual(2);
    expect((await (await admin.get('/v1/documents/g-1')).json()).status).toBe('deleted');
    expect((await (await admin.get('/v1/collections')).json()).collections.map((c: any) => c.name)).toEqual(['alpha', 'beta']);
  });

  it('a webhook secret writes only its collections', async () => {
    const deliver = async (doc: object) => {
      const body = JSON.stringify(doc);
      const ts = String(Math.floor(Date.now() / 1000));
      return fetch(`${svc.url}/v1/documents`, { method: 'POST', body, headers: { 'content-type': 'application/json', 'x-timestamp': ts, 'x-signature': await sign('hook-beta', ts, body) } });
    };
    expect((await deliver({ id: 'b-2', collection: 'beta', text: 'Delivered to beta.' })).status).toBe(202);
    expect((await deliver({ id: 'b-3', text: 'Delivered to the default collection.' })).status).toBe(403);
  });
});

describe('filtered nearest-neighbour search', () => {
  it('returns k matching neighbours under a selective filter, as exact search does', () => {
    const dim = 32;
    const index = HnswIndex.create(dim);
    let seed = 7;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) - 0.5;
    const vectors = Array.from({ length: 5000 }, () => {
      const v = Float32Array.from({ length: dim }, rand);
      const n = Math.hypot(...v);
      return v.map((x) => x / n);
    });
    vectors.forEach((v, id) => index.add(id, v));
    const allowed = (id: number) => id % 100 === 0; // 1% of the passages match
    let hits = 0;
    for (let q = 0; q < 20; q++) {
      const query = vectors[q * 37 + 1];
      const got = index.search(query, 10, allowed).map((n) => n.id);
      expect(got).toHaveLength(10);
      expect(got.every(allowed)).toBe(true);
      const exact = vectors.map((v, id) => ({ id, s: v.reduce((acc, x, i) => acc + x * query[i], 0) }))
        .filter((n) => allowed(n.id)).sort((x, y) => y.s - x.s).slice(0, 10).map((n) => n.id);
      hits += got.filter((id) => exact.includes(id)).length;
    }
    expect(hits / 200).toBeGreaterThanOrEqual(0.95); // recall@10 under the filter
  });
});
