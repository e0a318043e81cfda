import { createExecutionContext, createMessageBatch, env, getQueueResult, SELF } from 'cloudflare:test';
import { beforeEach, describe, expect, it } from 'vitest';
import { sign } from '../app/index.ts';
import { consumeDeadLetters, consumeIngest } from './consumer.ts';
import type { IngestMessage } from './env.ts';
import { InferenceClient, replicasFromEnv } from './inference.ts';

const BASE = 'https://edge.test';
const auth = { authorization: 'Bearer edge-key', 'content-type': 'application/json' };
const post = (path: string, body: unknown, headers: Record<string, string> = auth) =>
  SELF.fetch(BASE + path, { method: 'POST', headers, body: typeof body === 'string' ? body : JSON.stringify(body) });
const get = (path: string) => SELF.fetch(BASE + path, { headers: auth });
const fake = async (path: string, body?: unknown) =>
  (await fetch(`http://replica-a/_fake/${path}`, body ? { method: 'POST', body: JSON.stringify(body) } : {})).json() as Promise<any>;

async function waitFor<T>(probe: () => Promise<T | null | undefined>, ms = 15_000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > until) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 100));
  }
}

const indexed = (id: string) => waitFor(async () => {
  const doc = (await (await get(`/v1/documents/${id}`)).json()) as any;
  return doc.status === 'indexed' ? doc : null;
});

describe('Worker edge', () => {
  beforeEach(async () => {
    await fake('reset', {});
  });

  it('ingests through D1, R2 and the queue, and the consumer indexes on every replica', async () => {
    const r = await post('/v1/documents', { id: 'news-1', text: 'The bridge reopened on 3 March 2026.', source: 'wire' });
    expect(r.status).toBe(202);
    expect(await r.json()).toMatchObject({ queued: 1, documents: [{ id: 'news-1', version: 1, outcome: 'queued' }] });
    expect(await (await env.TEXTS.get('documents/news-1/v1.txt'))!.text()).toBe('The bridge reopened on 3 March 2026.');
    const doc = await indexed('news-1');
    expect(doc.versions[0]).toMatchObject({ version: 1, status: 'indexed', passages: 1 });
    const state = await fake('state');
    expect(Object.keys(state.documents).sort()).toEqual(['replica-a', 'replica-b']);
    expect(state.calls.every((c: any) => c.auth === 'Bearer test-inference-secret-0123')).toBe(true);
    // Same content again: nothing new is queued.
    expect(await (await post('/v1/documents', { id: 'news-1', text: 'The bridge reopened on 3 March 2026.' })).json())
      .toMatchObject({ queued: 0, documents: [{ outcome: 'unchanged' }] });
  });

  it('stores an HTML page as its text, as the Node server does', async () => {
    const html = '<html><body><h2>Fares</h2><table><tr><th>ticket</th><th>price</th></tr><tr><td>Single</td><td>1.80 euros</td></tr></table></body></html>';
    expect((await post('/v1/documents', { id: 'fares', text: html, format: 'html' })).status).toBe(202);
    expect(await (await env.TEXTS.get('documents/fares/v1.txt'))!.text()).toBe('## Fares\n\n| ticket | price |\n|---|---|\n| Single | 1.80 euros |');
  });

  it('validates and authenticates exactly as the Node server does', async () => {
    expect((await SELF.fetch(`${BASE}/v1/documents`, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } })).status).toBe(401);
    const wrongType = await post('/v1/documents', 'x', { authorization: 'Bearer edge-key', 'content-type': 'text/plain' });
    expect(wrongType.status).toBe(415);
    expect(((await wrongType.json()) as any).error.code).toBe('unsupported_media_type');
    const broken = await post('/v1/documents', '{', auth);
    expect(((await broken.json()) as any).error.code).toBe('invalid_json');
    const invalid = await post('/v1/documents', { id: 'x', text: '' });
    expect(invalid.status).toBe(422);
    expect(((await invalid.json()) as any).error).toMatchObject({ code: 'validation_failed' });
    const huge = await post('/v1/documents', { id: 'x', text: 'a'.repeat(2_200_000) });
    expect(huge.status).toBe(413);
    expect((await get('/v1/documents/nope')).status).toBe(404);
  });

  it('accepts a signed webhook once; the replay is refused through D1', async () => {
    const body = JSON.stringify({ id: 'signed-1', text: 'Signed delivery.' });
    const ts = String(Math.floor(Date.now() / 1000));
    const headers = { 'content-type': 'application/json', 'x-timestamp': ts, 'x-signature': await sign('hook-secret', ts, body) };
    expect((await post('/v1/documents', body, headers)).status).toBe(202);
    const replay = await post('/v1/documents', body, headers);
    expect(replay.status).toBe(401);
    expect(((await replay.json()) as any).error.code).toBe('replayed_signature');
    expect(await env.DB.prepare('SELECT COUNT(*) AS n FROM used_signatures').first('n')).toBe(1);
  });

  it('forwards answers to a replica, fails over on a 5xx, and relays 4xx errors and streams', async () => {
    const first = (await (await post('/v1/answers', { question: 'When did the bridge reopen?', mode: 'mac' })).json()) as any;
    if (!first.answer) throw new Error(JSON.stringify(first));
    expect(first.answer).toMatch(/^answer from replica-[ab]$/);
    await fake('fail', { answers: ['replica-a'] });
    for (let i = 0; i < 3; i++) {
      const r = (await (await post('/v1/answers', { question: 'Again?', mode: 'mac' })).json()) as any;
      expect(r.answer).toBe('answer from replica-b');
    }
    const tooLong = await post('/v1/answers', { question: 'x'.repeat(600), mode: 'mac' });
    expect(tooLong.status).toBe(422);
    expect(((await tooLong.json()) as any).error.code).toBe('prompt_too_long');
    const stream = await (await post('/v1/answers', { question: 'Stream?', mode: 'mac', stream: true })).text();
    expect(stream).toContain('event: token');
    expect(stream).toMatch(/event: answer\ndata: \{"answer":"answer from replica-b"/);
    await fake('fail', { answers: ['replica-a', 'replica-b'] });
    const down = await post('/v1/answers', { question: 'Anyone?', mode: 'mac' });
    expect(down.status).toBe(502);
    expect(((await down.json()) as any).error.code).toBe('upstream_failed');
  });

  it('scopes keys to collections: a key lists, reads, deletes and answers within its own', async () => {
    const alpha = { authorization: 'Bearer edge-alpha', 'content-type': 'application/json' };
    expect((await post('/v1/documents', { id: 'col-a', collection: 'alpha', text: 'In alpha.' }, alpha)).status).toBe(202);
    expect((await post('/v1/documents', { id: 'col-b', collection: 'beta', text: 'In beta.' })).status).toBe(202);
    expect((await post('/v1/documents', { id: 'col-x', collection: 'beta', text: 'Not alpha.' }, alpha)).status).toBe(403);
    const listed = (await (await SELF.fetch(`${BASE}/v1/documents`, { headers: alpha })).json()) as any;
    expect(listed.documents.map((d: any) => d.id)).toEqual(['col-a']);
    expect((await SELF.fetch(`${BASE}/v1/documents/col-b`, { headers: alpha })).status).toBe(404);
    expect((await SELF.fetch(`${BASE}/v1/documents/col-b`, { method: 'DELETE', headers: alpha })).status).toBe(404);
    expect((await post('/v1/answers', { question: 'What is in alpha?', mode: 'rag' }, alpha)).status).toBe(200);
    // The replicas trust the edge: the caller's collections travel in the forwarded filter.
    expect((await fake('state')).lastAnswer.filter).toEqual({ collection: ['alpha'] });
    expect((await post('/v1/answers', { question: 'And beta?', mode: 'rag', filter: { collection: 'beta' } }, alpha)).status).toBe(403);
    const collections = (await (await SELF.fetch(`${BASE}/v1/collections`, { headers: alpha })).json()) as any;
    expect(collections.collections.map((c: any) => c.name)).toEqual(['alpha']);
    expect((await SELF.fetch(`${BASE}/v1/collections/beta`, { method: 'DELETE', headers: alpha })).status).toBe(404);
  });

  it('deletes on every replica, in D1 and in R2', async () => {
    await post('/v1/documents', { id: 'gone-1', text: 'Soon forgotten.' });
    await indexed('gone-1');
    const r = await SELF.fetch(`${BASE}/v1/documents/gone-1`, { method: 'DELETE', headers: auth });
    expect(await r.json()).toMatchObject({ status: 'deleted', passages_removed: 1 });
    const state = await fake('state');
    expect(state.calls.filter((c: any) => c.method === 'DELETE').map((c: any) => c.replica).sort()).toEqual(['replica-a', 'replica-b']);
    expect(await env.TEXTS.get('documents/gone-1/v1.txt')).toBeNull();
    expect(((await (await get('/v1/documents/gone-1')).json()) as any).status).toBe('deleted');
  });

  it('retries a failed encoding, skips superseded versions, and dead-letters what never succeeds', async () => {
    await fake('fail', { index: ['replica-b'] });
    await post('/v1/documents', { id: 'flaky-1', text: 'First text.' });
    const inference = new InferenceClient(replicasFromEnv(env), env.INFERENCE_SECRET);
    const batch = createMessageBatch<IngestMessage>('mac-ingest', [{ id: 'm1', timestamp: new Date(), attempts: 1, body: { documentId: 'flaky-1', version: 1 } }]);
    const ctx = createExecutionContext();
    await consumeIngest(batch, env, inference);
    const result = await getQueueResult(batch, ctx);
    expect(result.retryMessages).toEqual([{ msgId: 'm1' }]);
    const row = await env.DB.prepare("SELECT attempts, error, status FROM versions WHERE document_id = 'flaky-1'").first<any>();
    expect(row).toMatchObject({ attempts: 1, status: 'queued' });
    expect(row.error).toContain('encoder down');

    await post('/v1/documents', { id: 'flaky-1', text: 'Second text.' });
    await fake('fail', {});
    const stale = createMessageBatch<IngestMessage>('mac-ingest', [{ id: 'm2', timestamp: new Date(), attempts: 1, body: { documentId: 'flaky-1', version: 1 } }]);
    await consumeIngest(stale, env, inference);
    expect((await getQueueResult(stale, ctx)).explicitAcks).toEqual(['m2']);
    const v1 = await env.DB.prepare("SELECT status FROM versions WHERE document_id = 'flaky-1' AND version = 1").first('status');
    expect(v1).toBe('superseded');

    const dead = createMessageBatch<IngestMessage>('mac-ingest-dlq', [{ id: 'm3', timestamp: new Date(), attempts: 6, body: { documentId: 'flaky-1', version: 2 } }]);
    await consumeDeadLetters(dead, env);
    const doc = (await (await get('/v1/documents/flaky-1')).json()) as any;
    expect(doc.status).toBe('failed');
    expect(doc.versions.at(-1)).toMatchObject({ version: 2, status: 'failed' }); // versions in order, oldest first (core/lifecycle.ts)
  });

  it('serves freshness from D1 with uptake from a replica, and the status page', async () => {
    await post('/v1/documents', { id: 'fresh-1', text: 'Fresh news.', source: 'wire', published_at: new Date(Date.now() - 60_000).toISOString() });
    await indexed('fresh-1');
    const f = (await (await get('/v1/freshness')).json()) as any;
    expect(f.documents.indexed).toBeGreaterThanOrEqual(1);
    expect(f.sources.find((s: any) => s.source === 'wire')).toMatchObject({ stale: false });
    expect(f.lag_seconds.published_to_indexed.count).toBeGreaterThanOrEqual(1);
    expect(f.uptake.probes).toBe(1);
    expect(await (await SELF.fetch(`${BASE}/`)).text()).toContain('Memory status');
    expect(((await (await SELF.fetch(`${BASE}/readyz`)).json()) as any).checks).toMatchObject({ d1: 'ok', 'http://replica-a': 'ready' });
  });
});
