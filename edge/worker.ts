import { createApp, Metrics, type Services } from '../app/index.ts';
import { consumeDeadLetters, consumeIngest, sweep } from './consumer.ts';
import { d1Documents } from './documents.ts';
import { refillReplicas } from './refill.ts';
import { list, numberVar, type Env, type IngestMessage } from './env.ts';
import { d1Freshness } from './freshness.ts';
import { InferenceClient, replicasFromEnv } from './inference.ts';
import { d1ReplayGuard } from './replay.ts';

export { InferenceContainer } from './container.ts';

// Per isolate: Workers Analytics is the fleet-wide view; /metrics shows what this isolate served.
const metrics = new Metrics();
const built = new WeakMap<Env, { app: ReturnType<typeof createApp>; inference: InferenceClient }>();

/** The Worker entry: the same HTTP core as the Node server, over D1, R2, Queues and inference servers. */
function build(env: Env) {
  const cached = built.get(env);
  if (cached) return cached;
  if (!env.INFERENCE_SECRET) throw new Error('INFERENCE_SECRET is not set: `wrangler secret put INFERENCE_SECRET` (the same value the inference servers get).');
  const inference = new InferenceClient(replicasFromEnv(env), env.INFERENCE_SECRET);
  const services: Services = {
    documents: d1Documents(env, inference),
    answers: { answer: (req, { filter, onText }) => inference.answer(req, filter, onText) },
    freshness: d1Freshness(env.DB, inference),
    metrics,
    bundleId: env.BUNDLE_ID ?? 'served by the inference servers',
    settings: {
      auth: {
        apiKeys: list(env.API_KEYS), webhookSecrets: list(env.WEBHOOK_SECRETS),
        toleranceSeconds: numberVar(env.WEBHOOK_TOLERANCE_S, 300, 'WEBHOOK_TOLERANCE_S'),
      },
      maxBodyBytes: numberVar(env.MAX_BODY_BYTES, 2 * 1024 * 1024, 'MAX_BODY_BYTES'),
      slaSeconds: numberVar(env.FRESHNESS_SLA_S, 86_400, 'FRESHNESS_SLA_S'),
    },
    replay: d1ReplayGuard(env.DB),
    async readiness() {
      const checks = await inference.readiness();
      try {
        await env.DB.prepare('SELECT 1').first();
        checks.d1 = 'ok';
      } catch (err) {
        checks.d1 = `failed: ${(err as Error).message}`;
      }
      return { ready: Object.values(checks).every((v) => v === 'ok' || v === 'ready'), checks };
    },
  };
  const result = { app: createApp(services), inference };
  built.set(env, result);
  return result;
}

export default {
  fetch(request, env, ctx) {
    return build(env).app.fetch(request, env, ctx);
  },
  async queue(batch, env) {
    if (batch.queue.endsWith('-dlq')) return consumeDeadLetters(batch, env);
    return consumeIngest(batch, env, build(env).inference);
  },
  async scheduled(_controller, env) {
    await sweep(env, Date.now());
    // Replicas that came back empty or missed writes are refilled from D1 and R2 through the queue.
    const reports = await refillReplicas(env, build(env).inference);
    for (const r of reports.filter((x) => !x.inSync)) {
      console.log(`refill ${r.replica}: ${r.error ? `failed (${r.error}); ` : ''}${r.enqueued} documents queued, ${r.deleted} deleted`);
    }
  },
} satisfies ExportedHandler<Env, IngestMessage>;
