import { defineConfig } from 'vitest/config';

// Three projects: `node` (the service, real SQLite/hnswlib/onnxruntime), `edge` (the Worker inside
// workerd, vitest.edge.config.ts) and `edge-e2e` (wrangler dev --local in front of Node inference servers).
const node = { testTimeout: 60_000, hookTimeout: 180_000, pool: 'forks' as const, fileParallelism: false };

export default defineConfig({
  test: {
    projects: [
      { test: { name: 'node', include: ['**/*.test.ts'], exclude: ['node_modules/**', '.venv/**', 'edge/**'], ...node } },
      { test: { name: 'edge-e2e', include: ['edge/e2e/**/*.test.ts'], ...node } },
      './vitest.edge.config.ts',
    ],
  },
});
