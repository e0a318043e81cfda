import type { Answerer } from '../answer/index.ts';
import type { MemoryStore, VectorIndex } from '../memory/index.ts';
import type { AuthConfig } from './auth.ts';
import type { Metrics } from './metrics.ts';

/** Everything the HTTP layer needs, injected: the app itself opens no files and reads no environment. */
export interface Services {
  store: MemoryStore;
  index: VectorIndex;
  answerer: Answerer;
  /** Wakes the ingestion worker after new jobs are queued. */
  notifyIngest(): void;
  metrics: Metrics;
  bundleId: string;
  settings: { auth: AuthConfig; maxBodyBytes: number; slaSeconds: number };
  readiness(): { ready: boolean; checks: Record<string, string> };
}
