import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningService } from '../server/index.ts';
import { client, ROOT, startTestService, waitIndexed } from './helpers.ts';

const SCHEMATHESIS = join(ROOT, '.venv', 'bin', 'schemathesis');

// The contract fuzz run: schemathesis (PyPI, installed by `npm run setup`) generates requests from
// /openapi.json against the real service (tiny bundle), with a fixed seed and a bounded number of
// examples per operation. Every response must be a non-5xx that its operation documents, in the
// documented shape and media type. A longer run: the same command with a larger --max-examples.
describe('contract fuzz run', () => {
  let svc: RunningService;
  beforeAll(async () => {
    svc = await startTestService({ API_KEYS: 'fuzz-key', MAX_QUEUED_ANSWERS: '64' });
    const api = client(svc.url, 'fuzz-key');
    await api.post('/v1/documents', { id: 'seed-doc', text: 'The tram depot opened in 1902 and holds 40 trams.', source: 'fuzz' });
    await waitIndexed(api, 'seed-doc');
  });
  afterAll(() => svc?.close());

  it('finds no server error and no response outside the documented contract', async () => {
    // Asynchronously: the service under test runs in this very process.
    const run = await new Promise<{ status: number | null; stdout: string; stderr: string; error?: Error }>((resolve) => {
      execFile(SCHEMATHESIS, [
      'run', `${svc.url}/openapi.json`, '--header', 'Authorization: Bearer fuzz-key',
      '--checks', 'not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance',
      '--max-examples', process.env.FUZZ_EXAMPLES ?? '12', '--generation-deterministic', '--no-color',
      ], { cwd: ROOT, encoding: 'utf8', timeout: 280_000, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
        const code = (err as { code?: unknown } | null)?.code;
        resolve({ status: err ? (typeof code === 'number' ? code : null) : 0, stdout, stderr, error: err && typeof code !== 'number' ? err : undefined });
      });
    });
    if (run.error) throw new Error(`${SCHEMATHESIS} did not run (${run.error.message}): \`npm run setup\` installs it`);
    const report = `${run.stdout}\n${run.stderr}`;
    console.log(report.split('\n').filter((l) => /passed|failed|error|Summary|examples|operations/i.test(l)).slice(-12).join('\n'));
    expect(run.status, report.slice(-6000)).toBe(0);
  }, 300_000);
});
