import { DurableObject } from 'cloudflare:workers';
import type { Env } from './env.ts';

const PORT = 8080;

/**
 * One inference server as a Cloudflare Container ([[containers]] in wrangler.toml). Each replica is a
 * named instance; the Worker reaches it through this Durable Object, which starts the container on
 * first use and forwards requests to the Node server inside.
 */
export class InferenceContainer extends DurableObject<Env> {
  override async fetch(request: Request): Promise<Response> {
    const container = this.ctx.container;
    if (!container) return new Response('This Durable Object has no container; check [[containers]] in wrangler.toml.', { status: 500 });
    if (!container.running) {
      container.start({ env: { INFERENCE_SECRET: this.env.INFERENCE_SECRET, PORT: String(PORT), DATA_DIR: '/data' }, enableInternet: false });
    }
    const port = container.getTcpPort(PORT);
    // The bundle loads in seconds; until the server listens, connections are refused.
    for (let attempt = 0; ; attempt++) {
      try {
        return await port.fetch(request.url, request.clone());
      } catch (err) {
        if (attempt >= 60) throw err;
        await new Promise((r) => setTimeout(r, 1000));
      }
    }
  }
}
