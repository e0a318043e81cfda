import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningService } from '../server/index.ts';
import { client, startTestService, waitIndexed } from './helpers.ts';

const counter = (metrics: string, outcome: string) =>
  Number(metrics.match(new RegExp(`mac_answers_total\\{mode="base",outcome="${outcome}"\\} (\\d+)`))?.[1] ?? 0);

// The answer scheduler in the real service (tiny bundle): one answer at a time, a short line, 429 beyond.
describe('answer scheduling', () => {
  let svc: RunningService;
  let api: ReturnType<typeof client>;
  beforeAll(async () => {
    svc = await startTestService({ MAX_CONCURRENT_ANSWERS: '1', MAX_QUEUED_ANSWERS: '1' });
    api = client(svc.url);
    await api.post('/v1/documents', { id: 'a', text: 'Apples are red.' });
    await waitIndexed(api, 'a');
  });
  afterAll(() => svc?.close());

  it('a client that disconnects stops its answer, which is counted as cancelled and frees the slot', async () => {
    const before = counter(await (await api.get('/metrics')).text(), 'cancelled');
    const controller = new AbortController();
    const res = await fetch(`${svc.url}/v1/answers`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, signal: controller.signal,
      body: JSON.stringify({ question: 'Tell me everything.', mode: 'base', max_tokens: 256, stream: true }),
    });
    const reader = res.body!.getReader();
    await reader.read(); // the stream has started: the answer holds the only slot
    controller.abort();
    const t0 = Date.now();
    for (;;) {
      const metrics = await (await api.get('/metrics')).text();
      if (counter(metrics, 'cancelled') > before && /mac_answers_running 0/.test(metrics)) break;
      expect(Date.now() - t0).toBeLessThan(5_000);
      await new Promise((r) => setTimeout(r, 20));
    }
    const next = await api.post('/v1/answers', { question: 'What colour are apples?', mode: 'base', max_tokens: 2 });
    expect(next.status).toBe(200);
  });

  it('refuses beyond the line with 429 and Retry-After', async () => {
    const long = { question: 'Tell me everything.', mode: 'base', max_tokens: 256 };
    const all = await Promise.all([1, 2, 3, 4].map(() => api.post('/v1/answers', long)));
    const statuses = all.map((r) => r.status).sort();
    expect(statuses).toContain(429);
    const refused = all.find((r) => r.status === 429)!;
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect((await refused.json()).error.code).toBe('busy');
  });

  it('a streamed answer refused before its first byte gets the HTTP status, not an error event inside a 200', async () => {
    const long = { question: 'Tell me everything.', mode: 'base', max_tokens: 256, stream: true };
    const all = await Promise.all([1, 2, 3, 4].map(() => api.post('/v1/answers', long)));
    const refused = all.filter((r) => r.status === 429);
    expect(refused.length).toBeGreaterThan(0);
    expect((await refused[0].json()).error.code).toBe('busy');
    const served = all.filter((r) => r.status === 200);
    for (const r of served) expect(await r.text()).toMatch(/event: answer/);
  });
});
