import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { authenticate, keyScope } from './auth.ts';
import { ApiError, ErrorCode, errorBody } from './errors.ts';
import { openApiDocument } from './openapi.ts';
import { answerRoutes } from './routes/answers.ts';
import { collectionMetrics, collectionRoutes } from './routes/collections.ts';
import { collectionsFor } from './scope.ts';
import { documentRoutes } from './routes/documents.ts';
import { freshnessReport, freshnessRoutes } from './routes/freshness.ts';
import { openAiError, openAiRoutes } from './routes/openai.ts';
import type { Services } from './services.ts';
import { statusPage } from './status-page.ts';

export function createApp(s: Services) {
  const app = new Hono();
  app.use('*', async (c, next) => {
    const started = performance.now();
    await next();
    const route = c.req.routePath || 'unmatched';
    s.metrics.inc('mac_http_requests_total', 'HTTP requests', { method: c.req.method, route, status: String(c.res.status) });
    s.metrics.observe('mac_http_request_seconds', 'HTTP request latency', (performance.now() - started) / 1000, { route });
  });
  app.use('/v1/*', bodyLimit({
    maxSize: s.settings.maxBodyBytes,
    onError: (c) => c.json(errorBody(ErrorCode.payloadTooLarge, `The body exceeds ${s.settings.maxBodyBytes} bytes; split the batch.`), 413),
  }));
  app.use('/v1/*', authenticate(s.settings.auth, Date.now, s.replay));
  app.route('/v1/documents', documentRoutes(s));
  app.route('/v1/collections', collectionRoutes(s));
  app.route('/v1/answers', answerRoutes(s));
  app.route('/v1/freshness', freshnessRoutes(s));
  app.route('/v1', openAiRoutes(s));
  app.get('/healthz', (c) => c.json({ status: 'ok' }));
  app.get('/readyz', async (c) => {
    const r = await s.readiness();
    return r.ready ? c.json({ status: 'ready', checks: r.checks }) : c.json(errorBody(ErrorCode.notReady, 'Not ready', r.checks), 503);
  });
  // Per-collection series only for a key that may see them (all of them when no key is configured).
  app.get('/metrics', async (c) => {
    const scope = keyScope(s.settings.auth, c.req.header('authorization'));
    const perCollection = scope === null ? '' : collectionMetrics(await s.documents.collections(collectionsFor(scope)));
    return c.text(s.metrics.render() + perCollection, 200, { 'content-type': 'text/plain; version=0.0.4' });
  });
  app.get('/openapi.json', (c) => c.json(openApiDocument(s.bundleId)));
  // Without a key (when keys are configured) the status page shows aggregate health only; `/?login` asks the
  // browser for a key (Basic auth, the key as password), and a scoped key sees its own collections.
  app.get('/', async (c) => {
    const scope = keyScope(s.settings.auth, c.req.header('authorization'));
    if (scope === null && c.req.query('login') !== undefined) {
      return c.text('Sign in with an API key as the password (any user name).', 401, { 'www-authenticate': 'Basic realm="memory status", charset="UTF-8"' });
    }
    const report = await freshnessReport(s, scope === null ? undefined : collectionsFor(scope));
    return c.html(statusPage(report, s.bundleId, scope !== null));
  });
  app.notFound((c) => c.json(errorBody(ErrorCode.notFound, `No route ${c.req.method} ${c.req.path}; see /openapi.json.`), 404));
  app.onError((err, c) => {
    // The OpenAI-compatible routes answer errors in OpenAI's shape, which their clients parse.
    const openAi = /^\/v1\/(chat\/completions|models)\b/.test(c.req.path);
    if (err instanceof ApiError) return c.json(openAi ? openAiError(err) : errorBody(err.code, err.message, err.details), err.status, err.headers);
    console.error(err);
    return c.json(errorBody(ErrorCode.internal, 'Internal error; the server log has the details.'), 500);
  });
  return app;
}
