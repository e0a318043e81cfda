import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readConfig, startService, type RunningService } from '../server/index.ts';
import { batches } from '../loader/batches.ts';
import { note } from './progress.ts';

export interface BenchService {
  running: RunningService;
  api: Api;
  dataDir: string;
  /** Stops the service; the data directory is removed unless `keepData`. */
  close(opts?: { keepData?: boolean }): Promise<void>;
  /** Stops it and starts it again on the same data with these settings on top of the first start's (not of earlier restarts'). */
  restart(env: Record<string, string>): Promise<BenchService>;
}

/** The real service in-process on a free loopback port, with its own empty memory bank (or `dataDir`'s). */
export async function startBenchService(bundleDir: string, env: Record<string, string> = {}, dataDir = mkdtempSync(join(tmpdir(), 'mac-bench-')), first = env): Promise<BenchService> {
  let running: RunningService;
  try {
    running = await startService(readConfig({
      PORT: '0', HOST: '127.0.0.1', DATA_DIR: dataDir, BUNDLE_DIR: bundleDir, PROBE_INTERVAL_S: '0', ABSTAIN_BELOW: '-1',
      // THREADS passes through so a run can be pinned; the default (0 = all cores) is what production uses.
      ...(process.env.THREADS ? { THREADS: process.env.THREADS } : {}),
      ...env,
    }));
  } catch (err) {
    rmSync(dataDir, { recursive: true, force: true });
    throw err;
  }
  return {
    running, api: api(running.url), dataDir,
    async close(opts = {}) {
      await running.close();
      if (!opts.keepData) rmSync(dataDir, { recursive: true, force: true });
    },
    async restart(more) {
      await running.close();
      return startBenchService(bundleDir, { ...first, ...more }, dataDir, first);
    },
  };
}

/**
 * `npm start`'s server in a child process on a free loopback port, with these settings on top of the
 * environment; resolves once it listens, rejects with its log if it exits first. Its own process: what a
 * client measures from outside (an in-process service shares the event loop it is measured from), and what
 * a kill -9 stops.
 */
export function spawnServer(env: Record<string, string>): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts'], {
    cwd: join(import.meta.dirname, '..'), env: { ...process.env, HOST: '127.0.0.1', PORT: '0', PROBE_INTERVAL_S: '0', ...env }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    let log = '';
    const read = (chunk: Buffer) => {
      log = (log + chunk.toString()).slice(-20_000); // a long-running server's log: its tail
      const m = log.match(/listening on http:\/\/[\d.]+:(\d+)/);
      if (m) resolve({ child, url: `http://127.0.0.1:${m[1]}` });
    };
    child.stdout!.on('data', read);
    child.stderr!.on('data', read);
    child.on('exit', (code) => reject(new Error(`server exited with ${code}: ${log}`)));
  });
}

export type Api = ReturnType<typeof api>;

/** One unmeasured answer per mode, on a question no run asks: pays for the sessions' first runs. */
export async function warmUp(client: Api, modes: readonly string[]): Promise<void> {
  for (const mode of modes) await client.post('/v1/answers', { question: 'What is this about?', mode, max_tokens: 1 });
}

export interface Timed<T = any> {
  status: number;
  body: T;
  ms: number;
  /** The response headers a caller acts on. */
  headers: { 'retry-after': string };
}

/** JSON over fetch, timed on the client side (the wall time a caller sees, body included). */
export function api(base: string) {
  const call = async (method: string, path: string, body?: unknown): Promise<Timed> => {
    const t0 = performance.now();
    const send = () => fetch(base + path, {
      method, headers: body === undefined ? {} : { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body),
    });
    let res: Response;
    try {
      res = await send();
    } catch (err) {
      // Model work runs on the service's event loop: while the worker encodes, an idle keep-alive socket
      // can be closed under a request (ECONNRESET). A GET is safe to send again; anything else is reported.
      if (method !== 'GET') throw err;
      res = await send();
    }
    const text = await res.text();
    const ms = performance.now() - t0;
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // Keep the raw text: an error page is still worth reporting.
    }
    return { status: res.status, body: parsed, ms, headers: { 'retry-after': res.headers.get('retry-after') ?? '' } };
  };
  return { get: (path: string) => call('GET', path), post: (path: string, body: unknown) => call('POST', path, body) };
}

export interface IngestRun {
  documents: number;
  batches: number;
  /** From the first POST to the last 202: how fast the webhook acknowledges. */
  postSeconds: number;
  /** From the first POST to the last document indexed. */
  endToEndSeconds: number;
  postLatencyMs: number[];
  indexed: number;
  failed: number;
  passages: number;
  receivedToIndexedS: { p50: number | null; p90: number | null; p99: number | null };
}

/** Posts documents in batches, then waits until the worker has drained the queue. */
export async function ingestAll(client: Api, docs: unknown[], batchSize = 50, label = 'ingest'): Promise<IngestRun> {
  const started = Date.now();
  const postLatencyMs: number[] = [];
  for (const batch of batches(docs, batchSize)) {
    const res = await client.post('/v1/documents', { documents: batch });
    if (res.status !== 202) throw new Error(`POST /v1/documents answered ${res.status}: ${JSON.stringify(res.body).slice(0, 500)}`);
    postLatencyMs.push(res.ms);
  }
  const postSeconds = (Date.now() - started) / 1000;
  const fresh = await waitDrained(client, docs.length, label);
  // The server stamps each version when indexed (ms); polling would add up to one poll interval.
  const lastIndexed = fresh.knowledge.last_indexed_at ? Date.parse(fresh.knowledge.last_indexed_at) : Date.now();
  return {
    documents: docs.length, batches: postLatencyMs.length, postSeconds, endToEndSeconds: (Math.max(lastIndexed, started) - started) / 1000,
    postLatencyMs, indexed: fresh.documents.indexed, failed: fresh.documents.failed, passages: fresh.passages,
    receivedToIndexedS: fresh.lag_seconds.received_to_indexed,
  };
}

/** Polls /v1/freshness until nothing is queued or running; reports indexed documents as it goes. */
export async function waitDrained(client: Api, expected: number, label: string, timeoutMs = 6 * 3600_000): Promise<any> {
  const until = Date.now() + timeoutMs;
  let lastNote = Date.now();
  for (;;) {
    const { status, body } = await client.get('/v1/freshness');
    if (status !== 200) throw new Error(`GET /v1/freshness answered ${status}`);
    if (body.queue.depth === 0 && body.queue.running === 0) return body;
    if (Date.now() - lastNote > 5000) {
      lastNote = Date.now();
      note(`${label}: ${body.documents.indexed}/${expected} documents indexed, ${body.passages} passages, queue ${body.queue.depth}`);
    }
    if (Date.now() > until) throw new Error(`${label}: queue not drained in ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
