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
  /** A web page's text (core/html-text.ts), off the request thread where the runtime has threads; inline when absent. */
  htmlToText?: (html: string) => Promise<string>;
  readiness(): Promise<{ ready: boolean; checks: Record<string, string> }>;
}
