import { execFile, spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { idFromPath } from '../loader/extract.ts';
import type { RunningService } from '../server/index.ts';
import { client, ROOT, startTestService, tempDir } from './helpers.ts';

const run = promisify(execFile);
const FIXTURES = join(ROOT, 'tests', 'fixtures', 'loader');

/** `npm run ingest` as a user runs it, against the real service (tiny bundle). */
async function ingest(args: string[]): Promise<{ code: number; stderr: string }> {
  try {
    const { stderr } = await run(process.execPath, ['--import', 'tsx', join(ROOT, 'loader', 'main.ts'), ...args], { cwd: ROOT, timeout: 120_000 });
    return { code: 0, stderr };
  } catch (err: any) {
    return { code: err.code, stderr: err.stderr };
  }
}

describe('the loader CLI (npm run ingest)', () => {
  let svc: RunningService;
  let api: ReturnType<typeof client>;
  beforeAll(async () => {
    svc = await startTestService({ API_KEYS: 'loader-key,docs-only=docs' });
    api = client(svc.url, 'loader-key');
  });
  afterAll(() => svc?.close());

  it('loads a folder of text, Markdown, HTML, PDF and JSONL files, reporting each rejected document', async () => {
    const first = await ingest([FIXTURES, '--url', svc.url, '--key', 'loader-key', '--wait']);
    expect(first.code).toBe(1); // one JSONL record breaks the id rule
    expect(first.stderr).toMatch(/7 documents from .* \(1 files of other types skipped\)/);
    expect(first.stderr).toMatch(/queued 6, unchanged 0, rejected 1/);
    expect(first.stderr).toMatch(/bad id with spaces: documents\[\d+\]\.id: use letters, digits/);
    const ids = (await (await api.get('/v1/documents')).json()).documents.map((d: any) => d.id);
    expect(ids).toEqual(['doc/tides', 'ferry-timetable.pdf', 'guides/harbor-library.md', 'guides/museum.html', 'notes.txt', 'p1']);
    const text = async (id: string) => { const r = await (await api.get(`/v1/documents/${encodeURIComponent(id)}/passages`)).json(); if (!r.passages) throw new Error(JSON.stringify(r)); return r.passages.map((p: any) => p.text).join(' '); };
    expect(await text('ferry-timetable.pdf')).toContain('The harbor ferry leaves every 20 minutes from Pier 7.');
    const museum = await text('guides/museum.html');
    expect(museum).toContain('steam tug Resolute, built in 1907');
    expect(museum).not.toMatch(/hidden|color|Home \| About/); // no script, style or navigation
    expect(await text('guides/harbor-library.md')).not.toContain('author: city desk'); // front matter is not content
    // Passages are slices of the text, its line breaks kept (a table row stays a line of its own: encoder/passages.ts)
    const markdown = readFileSync(join(FIXTURES, 'guides', 'harbor-library.md'), 'utf8').replace(/^---\n[\s\S]*?\n---\n/, '');
    const library = (await (await api.get(`/v1/documents/${encodeURIComponent('guides/harbor-library.md')}/passages`)).json()).passages as { text: string }[];
    for (const p of library) expect(markdown).toContain(p.text);
    expect(library.some((p) => p.text.split('\n').includes('| Saturday | 10:00-14:00 |'))).toBe(true);
    const pdf = await (await api.get('/v1/documents/ferry-timetable.pdf')).json();
    expect(pdf).toMatchObject({ title: 'Harbor ferry timetable', source: 'loader', status: 'indexed' });
    // The same folder again: the same ids, nothing new to encode.
    const again = await ingest([FIXTURES, '--url', svc.url, '--key', 'loader-key']);
    expect(again.stderr).toMatch(/queued 0, unchanged 6, rejected 1/);
  });

  it('puts documents in the collection asked for, within the key\'s scope', async () => {
    const notes = join(FIXTURES, 'notes.txt');
    expect((await ingest([notes, '--url', svc.url, '--key', 'docs-only', '--collection', 'other'])).stderr).toMatch(/rejected 1/);
    const ok = await ingest([notes, '--url', svc.url, '--key', 'docs-only', '--collection', 'docs']);
    expect(ok.stderr).toMatch(/unchanged|queued 1/);
    expect(ok.code).toBe(1); // notes.txt is already in the default collection, outside this key's scope
  });

  it('asks from the command line (npm run ask), printing the answer and its sources', async () => {
    const { stdout } = await run(process.execPath, ['--import', 'tsx', join(ROOT, 'loader', 'ask.ts'), 'When', 'was', 'the', 'lighthouse', 'automated?',
      '--mode', 'rag', '--url', svc.url, '--key', 'loader-key', '--max-tokens', '2'], { cwd: ROOT, timeout: 60_000 });
    expect(stdout).toMatch(/^ {2}passage \S+ v1 \(similarity [\d.-]+, weight [\d.]+\)/m);
    expect(stdout).toMatch(/rag, confidence [\d.]+, [\d.]+ ms/);
    // rag grounds its answer: the cited sentence is printed with the answer in brackets (unless it abstained)
    const answer = stdout.split('\n')[0];
    if (!answer.startsWith('(no answer')) expect(stdout).toContain(`[${answer}]`);
  });

  it('resumes a run stopped half-way: the rerun sends the rest, and what was sent is unchanged', async () => {
    const folder = join(tempDir('loader-many'), 'notes');
    mkdirSync(folder);
    for (let i = 0; i < 150; i++) writeFileSync(join(folder, `note-${String(i).padStart(3, '0')}.txt`), `Note ${i}: the locker code is ${1000 + i}.`);
    const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'loader', 'main.ts'), folder, '--url', svc.url, '--key', 'loader-key', '--collection', 'resume', '--batch', '1'], { cwd: ROOT, stdio: 'ignore' });
    const count = async () => (await (await api.get('/v1/freshness?collection=resume')).json()).documents.total as number;
    while ((await count()) < 10) await new Promise((r) => setTimeout(r, 20));
    child.kill('SIGKILL'); // a forced stop, mid-run
    await new Promise((r) => child.once('exit', r));
    const sent = await count();
    expect(sent).toBeLessThan(150);
    const rerun = await ingest([folder, '--url', svc.url, '--key', 'loader-key', '--collection', 'resume']);
    expect(rerun.code).toBe(0);
    const [, queued, unchanged] = rerun.stderr.match(/queued (\d+), unchanged (\d+), rejected 0/)!.map(Number);
    expect(queued + unchanged).toBe(150);
    expect(unchanged).toBe(sent); // everything stored before the stop, and nothing else, is already there
    expect(await count()).toBe(150);
  });

  it('makes ids that fit the API\'s id rule from any path', () => {
    expect(idFromPath('guides/Annual Report (2025).pdf')).toBe('guides/Annual-Report-2025-.pdf');
    expect(idFromPath('a//b/../c d')).toBe('a/b/--/c-d');
  });
});
