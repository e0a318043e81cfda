/** The Worker's bindings and variables, as wrangler.toml declares them. */
export interface Env {
  DB: D1Database;
  TEXTS: R2Bucket;
  INGEST_QUEUE: Queue<IngestMessage>;
  /** Comma-separated base URLs of inference servers; every one holds a full replica of the memory. */
  INFERENCE_URLS?: string;
  /** Cloudflare Containers running the inference server (used when INFERENCE_URLS is empty). */
  INFERENCE_CONTAINER?: DurableObjectNamespace;
  INFERENCE_REPLICAS?: string;
  INFERENCE_SECRET: string;
  API_KEYS?: string;
  WEBHOOK_SECRETS?: string;
  WEBHOOK_TOLERANCE_S?: string;
  MAX_BODY_BYTES?: string;
  FRESHNESS_SLA_S?: string;
  BUNDLE_ID?: string;
}

/** One queued ingestion: the text is in R2, the rest in D1. */
export interface IngestMessage {
  documentId: string;
  version: number;
  /** A refill (edge/refill.ts): an indexed version sent to this one replica, D1 unchanged. */
  replica?: string;
}

export const list = (s: string | undefined) => (s ?? '').split(',').map((x) => x.trim()).filter(Boolean);

export function numberVar(value: string | undefined, fallback: number, name: string): number {
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isFinite(n)) throw new Error(`${name} must be a number (got ${JSON.stringify(value)}); fix it in wrangler.toml [vars].`);
  return n;
}
