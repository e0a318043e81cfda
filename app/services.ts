import type { AuthConfig } from './auth.ts';
import type { Metrics } from './metrics.ts';
import type { AnswersPort, DocumentsPort, FreshnessPort, ReplayGuard } from './ports.ts';

/** Everything the HTTP layer needs, injected: the app itself opens no files and reads no environment. */
export interface Services {
  documents: DocumentsPort;
  answers: AnswersPort;
  freshness: FreshnessPort;
  metrics: Metrics;
  bundleId: string;
  settings: { auth: AuthConfig; maxBodyBytes: number; slaSeconds: number };
  /** Where webhook signatures are remembered; one process's memory when absent. */
  replay?: ReplayGuard;
  readiness(): Promise<{ ready: boolean; checks: Record<string, string> }>;
}
