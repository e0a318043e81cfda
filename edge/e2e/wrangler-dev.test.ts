import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningService } from '../../server/index.ts';
import { client, ROOT, startTestService, tempDir } from '../../tests/helpers.ts';

const SECRET = 'e2e-inference-secret-0123456789';
const WRANGLER = join(ROOT, 'node_modules', '.bin', 'wrangler');
const EIFFEL = 'The Eiffel Tower was completed in 1889 for the World Fair in Paris. It is 330 metres tall.';
const NILE = 'The Nile is a major north-flowing river in northeastern Africa. It flows into the Mediterranean Sea.';

const freePort = () => new Promise<number>((resolve) => {
  const s = createServer().listen(0, '127.0.0.1', () => {
    const { port } = s.address() as { port: number };
    s.close(() => resolve(port));
  });
});

async function until<T>(what: string, probe: () => Promise<T | null>, ms: number): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe().catch(() => null);
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Two real inference servers (tiny bundle, SQLite, hnswlib, onnxruntime) behind the Worker in `wrangler dev --local`. */
describe('Worker edge end to end: wrangler dev --local + two Node inference servers', () => {
  const replicas: RunningService[] = [];
  let dev: ChildProcess;
  let devLog = '';
  let edge: ReturnType<typeof client>;
  let edgeUrl = '';

  beforeAll(async () => {
    for (let i = 0; i < 2; i++) replicas.push(await startTestService({ INFERENCE_SECRET: SECRET, API_KEYS: 'replica-only-key' }));
    const state = tempDir('wrangler-state');
    const migrate = spawnSync(WRANGLER, ['d1', 'migrations', 'apply', 'mac-edge', '--local', '--persist-to', state], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, CI: '1' } });
    expect(migrate.status, migrate.stdout + migrate.stderr).toBe(0);
    const port = await freePort();
    dev = spawn(WRANGLER, [
      'dev', '--local', '--ip', '127.0.0.1', '--port', String(port), '--persist-to', state, '--show-interactive-dev-session=false', '--test-scheduled',
      '--var', `INFERENCE_URLS:${replicas.map((r) => r.url).join(',')}`, '--var', `INFERENCE_SECRET:${SECRET}`, '--var', 'API_KEYS:edge-key',
    ], { cwd: ROOT, env: { ...process.env, CI: '1', WRANGLER_SEND_METRICS: 'false' }, stdio: ['ignore', 'pipe', 'pipe'] });
    dev.stdout!.on('data', (d) => (devLog += d));
    dev.stderr!.on('data', (d) => (devLog += d));
    edgeUrl = `http://127.0.0.1:${port}`;
    edge = client(edgeUrl, 'edge-key');
    await until('wrangler dev', async () => ((await fetch(`http://127.0.0.1:${port}/healthz`)).ok ? true : null), 90_000)
      .catch((err) => { throw new Error(`${err.message}\n${devLog}`); });
  }, 180_000);

  afterAll(async () => {
    dev?.kill('SIGTERM');
    await Promise.all(replicas.map((r) => r.close()));
  });

  it('ingests through the Worker and its queue into both replicas, answers through it, and forgets everywhere', async () => {
    const r = await edge.post('/v1/documents', { id: 'eiffel', text: EIFFEL, title: 'Eiffel Tower', source: 'wiki' });
    expect(r.status).toBe(202);
    const doc = await until('indexed through the queue', async () => {
      const d = await (await edge.get('/v1/documents/eiffel')).json();
      return d.status === 'indexed' ? d : null;
    }, 60_000).catch((err) => { throw new Error(`${err.message}\n${devLog}`); });
    expect(doc.versions[0].passages).toBeGreaterThan(0);
    for (const replica of replicas) expect(replica.store.getDocument('eiffel')?.status).toBe('indexed');

    const answer = await (await edge.post('/v1/answers', { question: 'When was the Eiffel Tower completed?', mode: 'mac', max_tokens: 4 })).json();
    expect(answer.sources.map((s: any) => s.document_id)).toContain('eiffel');
    expect(answer.bundle_id).toBe(replicas[0].services.bundleId);

    const fresh = await (await edge.get('/v1/freshness')).json();
    expect(fresh.documents.indexed).toBe(1);

    const gone = await edge.del('/v1/documents/eiffel');
    expect(gone.status).toBe(200);
    for (const replica of replicas) expect(replica.store.getDocument('eiffel')?.status).toBe('deleted');
    const after = await (await edge.post('/v1/answers', { question: 'When was the Eiffel Tower completed?', mode: 'mac', max_tokens: 4 })).json();
    expect(after.sources.map((s: any) => s.document_id)).not.toContain('eiffel');
  });

  it('refills a replica that comes back with an empty disk from D1 and R2, and removes what D1 no longer holds', async () => {
    expect((await edge.post('/v1/documents', { id: 'nile', text: NILE, title: 'Nile', source: 'atlas', collection: 'rivers' })).status).toBe(202);
    await until('nile indexed', async () => ((await (await edge.get('/v1/documents/nile')).json()).status === 'indexed' ? true : null), 60_000);
    // Replica 1 is replaced by an empty one on the same address; replica 0 holds a document D1 never had.
    const port = new URL(replicas[1].url).port;
    await replicas[1].close();
    replicas[1] = await startTestService({ INFERENCE_SECRET: SECRET, API_KEYS: 'replica-only-key', PORT: port });
    expect(replicas[1].store.getDocument('nile')).toBeNull();
    replicas[0].store.upsertDocuments([{ id: 'stray', text: 'A document only this replica has.' }], Date.now());
    replicas[0].worker.notify();
    await until('stray indexed on replica 0', async () => (replicas[0].store.getDocument('stray')?.status === 'indexed' ? true : null), 30_000);

    const cron = await fetch(`${edgeUrl}/__scheduled?cron=${encodeURIComponent('*/5 * * * *')}`);
    expect(cron.ok, await cron.text()).toBe(true);
    const refilled = await until('replica 1 refilled through the queue', async () => {
      const d = replicas[1].store.getDocument('nile');
      return d?.status === 'indexed' ? d : null;
    }, 60_000).catch((err) => { throw new Error(`${err.message}\n${devLog}`); });
    expect(refilled).toMatchObject({ collection: 'rivers', title: 'Nile', source: 'atlas' });
    expect(replicas[1].store.getDocument('eiffel')).toBeNull(); // deleted before the replica left: not brought back
    expect(replicas[0].store.getDocument('stray')?.status).toBe('deleted');
    const answer = await (await fetch(`${replicas[1].url}/v1/answers`, {
      method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer replica-only-key' },
      body: JSON.stringify({ question: 'Where does the Nile flow?', mode: 'rag', max_tokens: 2 }),
    })).json();
    expect(answer.sources.map((s: any) => s.document_id)).toContain('nile');
  });

  it('refuses the internal routes without the shared secret', async () => {
    const r = await fetch(`${replicas[0].url}/internal/v1/index`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer replica-only-key' }, body: '{}' });
    expect(r.status).toBe(401);
  });
});
