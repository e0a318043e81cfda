import { readFileSync } from 'node:fs';
import { cloudflareTest, readD1Migrations } from '@cloudflare/vitest-pool-workers';
import { defineConfig } from 'vitest/config';

// Tests that run inside workerd against local D1, R2 and Queues (npm run test:edge).
export default defineConfig({
  plugins: [
    cloudflareTest(async () => ({
      main: './edge/worker.ts',
      wrangler: { configPath: './wrangler.toml' },
      miniflare: {
        bindings: {
          TEST_MIGRATIONS: await readD1Migrations('edge/migrations'),
          INFERENCE_URLS: 'http://replica-a,http://replica-b',
          INFERENCE_SECRET: 'test-inference-secret-0123',
          API_KEYS: 'edge-key,edge-alpha=alpha',
          WEBHOOK_SECRETS: 'hook-secret',
        },
        // Every outbound fetch of the Worker goes to the stand-in inference servers.
        outboundService: 'fake-inference',
        workers: [{ name: 'fake-inference', modules: true, script: readFileSync('edge/test/fake-inference.js', 'utf8') }],
      },
    })),
  ],
  test: {
    name: 'edge',
    include: ['edge/*.test.ts'],
    setupFiles: ['edge/test/apply-migrations.ts'],
    testTimeout: 30_000,
  },
});
