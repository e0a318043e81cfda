import { existsSync } from 'node:fs';
import { join } from 'node:path';

export const ROOT = join(import.meta.dirname, '..');
/** Built by `npm run setup` (mac.export --preset tiny: small random models). */
export const TINY_BUNDLE = process.env.TINY_BUNDLE_DIR ?? join(ROOT, 'bundles', 'tiny');
export const DEFAULT_BUNDLE = process.env.BUNDLE_DIR ?? join(ROOT, 'bundles', 'default');

/** The shared SQuAD folder, found as mac/data.py finds it ($SQUAD_DIR, beside the repository, /work/shared). */
export function squadDir(): string {
  const candidates = [process.env.SQUAD_DIR, join(ROOT, '..', 'shared', 'data', 'squad'), '/work/shared/data/squad'];
  const found = candidates.find((c) => c && existsSync(c));
  if (!found) throw new Error('SQuAD data not found: set SQUAD_DIR to the folder holding squad-1.1-validation.jsonl');
  return found;
}

import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { readConfig, startService, type RunningService } from '../server/index.ts';

export const tempDir = (prefix: string) => mkdtempSync(join(tmpdir(), `${prefix}-`));

/** The real service (SQLite, hnswlib, onnxruntime) in-process, on a free port. */
export function startTestService(env: Record<string, string> = {}): Promise<RunningService> {
  return startService(readConfig({
    PORT: '0', HOST: '127.0.0.1', DATA_DIR: tempDir('mac-data'), BUNDLE_DIR: TINY_BUNDLE, THREADS: '1',
    SNAPSHOT_INTERVAL_S: '0', PROBE_INTERVAL_S: '0', ABSTAIN_BELOW: '-1', ...env,
  }));
}

export function client(base: string, key?: string) {
  const headers = (extra: Record<string, string> = {}) => ({ ...(key ? { authorization: `Bearer ${key}` } : {}), ...extra });
  return {
    post: (path: string, body: unknown, extra: Record<string, string> = {}) =>
      fetch(base + path, { method: 'POST', headers: headers({ 'content-type': 'application/json', ...extra }), body: typeof body === 'string' ? body : JSON.stringify(body) }),
    get: (path: string) => fetch(base + path, { headers: headers() }),
    del: (path: string) => fetch(base + path, { method: 'DELETE', headers: headers() }),
  };
}

/** Polls until the document's current version is indexed (or fails the test after `ms`). */
export async function waitIndexed(api: ReturnType<typeof client>, id: string, ms = 30_000): Promise<any> {
  const until = Date.now() + ms;
  for (;;) {
    const doc = await (await api.get(`/v1/documents/${encodeURIComponent(id)}`)).json();
    if (doc.status === 'indexed') return doc;
    if (Date.now() > until) throw new Error(`document ${id} not indexed in ${ms} ms: ${JSON.stringify(doc)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
