import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, tempDir } from '../../tests/helpers.ts';

const WRANGLER = join(ROOT, 'node_modules', '.bin', 'wrangler');
// Native addons, and the packages that load them: none of these can run in a Worker.
const NODE_ONLY = /(better-sqlite3|onnxruntime|hnswlib|@huggingface\/tokenizers|\.node$|^node:)/;

interface Metafile {
  inputs: Record<string, { imports: { path: string; external?: boolean }[] }>;
  outputs: Record<string, { imports: { path: string; external?: boolean }[] }>;
}

describe.each([[[]], [['--env', 'containers']]])('wrangler deploy --dry-run %j', (extra: string[]) => {
  it('bundles the Worker with no native or Node-only module in it', () => {
    const out = tempDir('worker-bundle');
    const meta = join(out, 'meta.json');
    const r = spawnSync(WRANGLER, ['deploy', '--dry-run', '--outdir', out, '--metafile', meta, ...extra], {
      cwd: ROOT, encoding: 'utf8', env: { ...process.env, CI: '1', WRANGLER_SEND_METRICS: 'false' },
    });
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('--dry-run: exiting now.');
    const metafile = JSON.parse(readFileSync(meta, 'utf8')) as Metafile;
    const inputs = Object.keys(metafile.inputs);
    expect(inputs.some((p) => p.endsWith('edge/worker.ts'))).toBe(true);
    expect(inputs.filter((p) => NODE_ONLY.test(p))).toEqual([]);
    const imported = [...Object.values(metafile.inputs), ...Object.values(metafile.outputs)].flatMap((f) => f.imports.map((i) => i.path));
    expect(imported.filter((p) => NODE_ONLY.test(p))).toEqual([]);
    // The model runtime, the memory bank and the index stay in the inference servers.
    expect(inputs.filter((p) => /^(server|memory\/(?!types)|encoder|lm|aggregator|bundle|ingest)\//.test(p))).toEqual([]);
  }, 120_000);
});
