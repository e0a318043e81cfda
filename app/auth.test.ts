import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { authenticate, sign } from './auth.ts';
import { ApiError, errorBody } from './errors.ts';

function app(now: number) {
  const a = new Hono();
  a.use('*', authenticate({ apiKeys: ['key-1'], webhookSecrets: ['s3cret'], toleranceSeconds: 300 }, () => now));
  a.post('/v1/documents', (c) => c.text('ok'));
  a.get('/v1/documents/x', (c) => c.text('ok'));
  a.delete('/v1/documents/x', (c) => c.text('ok'));
  a.onError((err, c) => (err instanceof ApiError ? c.json(errorBody(err.code, err.message), err.status) : c.text('boom', 500)));
  return a;
}

const post = (a: Hono, headers: Record<string, string>, body = '{"x":1}') => a.request('/v1/documents', { method: 'POST', headers, body });

describe('authenticate', () => {
  const now = 1_800_000_000_000;
  const ts = String(now / 1000);

  it('accepts a known API key and rejects others', async () => {
    expect((await post(app(now), { authorization: 'Bearer key-1' })).status).toBe(200);
    const bad = await post(app(now), { authorization: 'Bearer nope' });
    expect(bad.status).toBe(401);
    expect((await bad.json()).error.code).toBe('unauthorized');
  });

  it('accepts a fresh signature once, and rejects replays, stale timestamps and tampering', async () => {
    const a = app(now);
    const headers = { 'x-timestamp': ts, 'x-signature': await sign('s3cret', ts, '{"x":1}') };
    expect((await post(a, headers)).status).toBe(200);
    expect((await (await post(a, headers)).json()).error.code).toBe('replayed_signature');
    expect((await (await post(a, headers, '{"x":2}')).json()).error.code).toBe('invalid_signature');
    const old = String(now / 1000 - 301);
    expect((await (await post(a, { 'x-timestamp': old, 'x-signature': await sign('s3cret', old, '{"x":1}') })).json()).error.code).toBe('stale_signature');
  });

  it('lets a signature deliver documents and nothing else', async () => {
    const t = String(now / 1000);
    const headers = { 'x-timestamp': t, 'x-signature': await sign('s3cret', t, '') };
    for (const method of ['GET', 'DELETE']) {
      const res = await app(now).request('/v1/documents/x', { method, headers });
      expect(res.status).toBe(401);
      expect((await res.json()).error.message).toMatch(/authorises only POST \/v1\/documents/);
    }
  });

  it('asks for credentials when none are sent', async () => {
    expect((await post(app(now), {})).status).toBe(401);
  });
});
