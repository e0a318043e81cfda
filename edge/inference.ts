import { ApiError, ErrorCode, type AnswerRequest, type AnswerResponse, type DocumentBody, type FreshnessResponse } from '../app/index.ts';
import type { Holding } from '../core/lifecycle.ts';
import type { DocumentFilter, ProbeRecord } from '../core/types.ts';
import { list, numberVar, type Env } from './env.ts';

/** One inference server: a Node process (or Cloudflare Container) holding a full replica of the memory. */
export interface Replica {
  name: string;
  fetch(path: string, init: RequestInit): Promise<Response>;
}

export function replicasFromEnv(env: Env): Replica[] {
  const urls = list(env.INFERENCE_URLS);
  if (urls.length) return urls.map((url) => ({ name: url, fetch: (path, init) => fetch(url.replace(/\/$/, '') + path, init) }));
  const containers = env.INFERENCE_CONTAINER;
  if (containers) {
    const n = numberVar(env.INFERENCE_REPLICAS, 1, 'INFERENCE_REPLICAS');
    return Array.from({ length: n }, (_, i) => {
      const stub = containers.get(containers.idFromName(`replica-${i}`));
      return { name: `container replica-${i}`, fetch: (path, init) => stub.fetch(`http://inference${path}`, init) };
    });
  }
  throw new Error('No inference servers: set INFERENCE_URLS or bind INFERENCE_CONTAINER in wrangler.toml.');
}

async function upstreamError(r: Response, replica: Replica): Promise<ApiError> {
  const body = (await r.json().catch(() => null)) as { error?: { code?: string; message?: string } } | null;
  const message = `${replica.name}: ${body?.error?.message ?? `HTTP ${r.status}`}`;
  if (r.status >= 400 && r.status < 500 && body?.error?.code) {
    return new ApiError(r.status as 400, body.error.code as ErrorCode, body.error.message ?? message);
  }
  return new ApiError(502, ErrorCode.upstreamFailed, message);
}

let rotation = 0;

/**
 * Replication: writes (index, delete) go to every replica and succeed only if all do; reads (answers)
 * go to one, rotating, and fail over to the next on a network error or a 5xx.
 */
export class InferenceClient {
  constructor(private readonly replicas: Replica[], private readonly secret: string, private readonly timeoutMs = 60_000) {}

  private call(replica: Replica, path: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    headers.set('authorization', `Bearer ${this.secret}`);
    return replica.fetch(path, { ...init, headers, signal: AbortSignal.timeout(this.timeoutMs) });
  }

  /** One call to one replica; its JSON answer, or the replica's error. */
  private async on<T>(replica: Replica, path: string, init: RequestInit = {}): Promise<T> {
    const r = await this.call(replica, path, init);
    if (!r.ok) throw await upstreamError(r, replica);
    return (await r.json()) as T;
  }

  private everywhere<T>(path: string, init: RequestInit): Promise<T[]> {
    return Promise.all(this.replicas.map((replica) => this.on<T>(replica, path, init)));
  }

  get replicaNames(): string[] {
    return this.replicas.map((r) => r.name);
  }

  private replica(name: string): Replica {
    const replica = this.replicas.find((r) => r.name === name);
    if (!replica) throw new Error(`no replica named ${name} (INFERENCE_URLS or INFERENCE_REPLICAS changed?)`);
    return replica;
  }

  /** Encodes and stores one document version on every replica, or on the one named; resolves with its passage count. */
  async index(doc: DocumentBody, only?: string): Promise<number> {
    const init = { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(doc) };
    const done = only ? [await this.on<{ passages: number }>(this.replica(only), '/internal/v1/index', init)] : await this.everywhere<{ passages: number }>('/internal/v1/index', init);
    return Math.max(...done.map((d) => d.passages));
  }

  /** Forgets a document on every replica, or on the one named. */
  async delete(id: string, only?: string): Promise<number> {
    const path = `/internal/v1/documents/${encodeURIComponent(id)}`;
    const done = only ? [await this.on<{ passages_removed: number }>(this.replica(only), path, { method: 'DELETE' })] : await this.everywhere<{ passages_removed: number }>(path, { method: 'DELETE' });
    return Math.max(...done.map((d) => d.passages_removed));
  }

  /** A page of what one replica holds (server/inference.ts GET /internal/v1/holdings). */
  holdings(name: string, after: string, limit: number): Promise<{ indexed: number; documents: Holding[] }> {
    return this.on(this.replica(name), `/internal/v1/holdings?after=${encodeURIComponent(after)}&limit=${limit}`);
  }

  /** The replicas trust the edge: the caller's collections travel in the request's filter. */
  async answer(req: AnswerRequest, filter: DocumentFilter, onText?: (text: string) => void): Promise<AnswerResponse> {
    const body = JSON.stringify({ ...req, stream: Boolean(onText), filter: { ...req.filter, collection: filter.collections ? [...filter.collections] : undefined } });
    const start = rotation++;
    let lastError: unknown;
    for (let i = 0; i < this.replicas.length; i++) {
      const replica = this.replicas[(start + i) % this.replicas.length];
      let r: Response;
      try {
        r = await this.call(replica, '/v1/answers', { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      } catch (err) {
        lastError = new ApiError(502, ErrorCode.upstreamFailed, `${replica.name}: ${(err as Error).message}`);
        continue;
      }
      if (r.status >= 500) {
        lastError = await upstreamError(r, replica);
        continue;
      }
      if (!r.ok) throw await upstreamError(r, replica);
      return onText ? readAnswerStream(r, onText) : ((await r.json()) as AnswerResponse);
    }
    throw lastError ?? new ApiError(502, ErrorCode.upstreamFailed, 'No inference server configured.');
  }

  /** The newest uptake probes of the first replica that answers; none if none does. */
  async recentProbes(limit: number, collections?: readonly string[]): Promise<ProbeRecord[]> {
    const query = collections ? `?${collections.map((c) => `collection=${encodeURIComponent(c)}`).join('&')}` : '';
    for (const replica of this.replicas) {
      try {
        const r = await this.call(replica, `/v1/freshness${query}`);
        if (!r.ok) continue;
        const f = (await r.json()) as FreshnessResponse;
        return f.uptake.recent.slice(0, limit).map((p) => ({
          documentId: p.document_id, version: 0, question: p.question, expected: p.expected, answer: p.answer,
          f1: p.f1, baseF1: p.base_f1, at: Date.parse(p.at),
        }));
      } catch {
        // try the next replica
      }
    }
    return [];
  }

  async readiness(): Promise<Record<string, string>> {
    const checks: Record<string, string> = {};
    await Promise.all(this.replicas.map(async (replica) => {
      try {
        const r = await this.call(replica, '/readyz');
        checks[replica.name] = r.ok ? 'ready' : `HTTP ${r.status}`;
      } catch (err) {
        checks[replica.name] = `unreachable: ${(err as Error).message}`;
      }
    }));
    return checks;
  }
}

/** Relays `token` events to `onText`; resolves with the final `answer` event. */
async function readAnswerStream(r: Response, onText: (text: string) => void): Promise<AnswerResponse> {
  const reader = r.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { done, value } = await reader.read();
    if (value) buffer += value;
    let end: number;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const event = block.match(/^event: ?(.*)$/m)?.[1];
      const data = block.split('\n').filter((l) => l.startsWith('data:')).map((l) => l.replace(/^data: ?/, '')).join('\n');
      if (event === 'token') onText((JSON.parse(data) as { text: string }).text);
      else if (event === 'answer') return JSON.parse(data) as AnswerResponse;
      else if (event === 'error') {
        const e = (JSON.parse(data) as { error: { code: ErrorCode; message: string } }).error;
        throw new ApiError(502, e.code, e.message);
      }
    }
    if (done) throw new ApiError(502, ErrorCode.upstreamFailed, 'The inference server closed the answer stream early.');
  }
}
