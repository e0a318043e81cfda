import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { note } from './progress.ts';
import type { Section } from './report.ts';
import { spawnServer } from './service.ts';
import type { SquadParagraph } from './squad.ts';
import { percentile, round } from './stats.ts';

/**
 * Does a large delivery hold the event loop? The service runs in a process of its own (an in-process
 * probe shares the event loop it measures), and GET /healthz is polled every POLL_MS from this one while a
 * batch of DOCUMENTS documents of DOCUMENT_CHARS characters is posted and the worker takes it up (its split
 * runs at the start of its round): once SQuAD prose, once web pages of tables (`"format": "html"`). Each
 * window lasts WINDOW_MS from the POST; the worker may still be encoding when it ends.
 */
const DOCUMENTS = 10;
const DOCUMENT_CHARS = 150_000;
const POLL_MS = 5;
const WINDOW_MS = 20_000;
const KEY = 'bench-key';

export async function runBigDocuments(bundleDir: string, paragraphs: SquadParagraph[]): Promise<Section> {
  const prose = Array.from({ length: DOCUMENTS }, (_, k) => ({ id: `prose-${k}`, text: proseOf(paragraphs, k) }));
  const pages = Array.from({ length: DOCUMENTS }, (_, k) => ({ id: `page-${k}`, text: tablePage(k), format: 'html' }));
  const runs = [];
  // a server of its own for each batch, so that each batch's split falls in its own window
  for (const [label, documents] of [['prose', prose], ['web pages of tables', pages]] as const) {
    note(`big-documents: ${label}, ${DOCUMENTS} x ${DOCUMENT_CHARS.toLocaleString('en')} characters`);
    const server = await startServerProcess(bundleDir);
    try {
      runs.push({ label, ...(await window(server.url, documents)) });
    } finally {
      await server.close();
    }
  }
  // One long hold is one slow poll among thousands: the longest wait is the figure, not a percentile.
  const worst = Math.max(...runs.map((r) => r.healthz_max_ms));
  return {
    name: 'big-documents',
    data: { documents: DOCUMENTS, document_chars: DOCUMENT_CHARS, poll_ms: POLL_MS, window_ms: WINDOW_MS, runs },
    tables: [{
      title: `One batch of ${DOCUMENTS} documents of ${DOCUMENT_CHARS.toLocaleString('en')} characters each, /healthz polled every ${POLL_MS} ms from another process for ${WINDOW_MS / 1000} s`,
      columns: ['batch', 'POST status', 'POST ms', '/healthz p50 ms', '/healthz p99 ms', '/healthz max ms', 'polls'],
      rows: runs.map((r) => [r.label, r.status, r.post_ms, r.healthz_p50_ms, r.healthz_p99_ms, r.healthz_max_ms, r.polls]),
    }],
    targets: [{ name: 'GET /healthz longest wait while a large batch is converted and split, worst batch (ms)', value: worst, target: '< 100', met: worst < 100 }],
    notes: ['Splitting (encoder/passages.ts) runs on the encoding thread and HTML conversion on its own thread (docs/architecture.md, "Threads").'],
  };
}

/** Posts the batch and polls /healthz for WINDOW_MS from the moment it is sent. */
async function window(url: string, documents: object[]) {
  const latencies: number[] = [];
  let polling = true;
  const poll = (async () => {
    while (polling) {
      const t0 = performance.now();
      await fetch(`${url}/healthz`).then((r) => r.arrayBuffer());
      latencies.push(performance.now() - t0);
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
  })();
  const t0 = performance.now();
  const res = await fetch(`${url}/v1/documents`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${KEY}` }, body: JSON.stringify({ documents }) });
  const postMs = performance.now() - t0;
  await res.arrayBuffer();
  await new Promise((r) => setTimeout(r, Math.max(0, WINDOW_MS - (performance.now() - t0))));
  polling = false;
  await poll;
  return {
    status: res.status, post_ms: round(postMs, 1), polls: latencies.length,
    healthz_p50_ms: round(percentile(latencies, 0.5), 1), healthz_p99_ms: round(percentile(latencies, 0.99), 1), healthz_max_ms: round(Math.max(...latencies), 1)!,
  };
}

/** SQuAD paragraphs one after another, cut at DOCUMENT_CHARS; `k` picks where to start. */
function proseOf(paragraphs: SquadParagraph[], k: number): string {
  let text = '';
  for (let i = k * 37; text.length < DOCUMENT_CHARS; i++) text += paragraphs[i % paragraphs.length].context + '\n\n';
  return text.slice(0, DOCUMENT_CHARS).trim();
}

/** A web page of one long price table, just under DOCUMENT_CHARS characters. */
function tablePage(k: number): string {
  const rows: string[] = [];
  let length = 0;
  for (let i = 0; length < DOCUMENT_CHARS - 200; i++) {
    const row = `<tr><td>Plan ${k}-${i}</td><td>${i}.50 euros</td><td>${i % 90} GB</td></tr>`;
    rows.push(row);
    length += row.length;
  }
  return `<html><body><h1>Prices ${k}</h1><table><tr><th>plan</th><th>price</th><th>storage</th></tr>${rows.join('')}</table></body></html>`;
}

/** `npm start`'s server in a child process, with an empty memory bank. */
async function startServerProcess(bundleDir: string): Promise<{ url: string; close(): Promise<void> }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'mac-bench-big-'));
  const { child, url } = await spawnServer({ DATA_DIR: dataDir, BUNDLE_DIR: bundleDir, API_KEYS: KEY, MAX_BODY_BYTES: String(4 * 2 ** 20) });
  return {
    url,
    async close() {
      // killed, not stopped: a graceful stop waits for the worker's round (minutes of encoding on the default bundle)
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGKILL');
      await exited;
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
