import { readdir, stat } from 'node:fs/promises';
import { basename, extname, join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { progressBar } from '../bench/progress.ts';
import { batches } from './batches.ts';
import { EXTENSIONS, extractDocuments, idFromPath, type LoadedDocument } from './extract.ts';

const USAGE = `Loads files and folders into the service through its webhook (POST /v1/documents).

  npm run ingest -- PATH... [--url URL] [--key KEY] [--collection C] [--source S] [--wait]

PATH        files or folders, walked recursively: ${EXTENSIONS.join(' ')} (.jsonl: SQuAD paragraphs
            or the webhook's {id, text, ...} records, one per line); other files are skipped
--url       the service (default $MAC_URL or http://localhost:8080)
--key       an API key (default $MAC_API_KEY); a scoped key writes only its collections
--collection  the collection of every loaded document (default: the record's own, else 'default')
--source    the documents' source (default: the name of the PATH it was found under)
--batch     documents per request (default 100; at most 1 MB each)
--wait      after sending, wait until the service has indexed everything it queued

A document's id is its path below the PATH it was found under (a file given alone: its name), made to
fit the API's id rule, so loading the same folder again sends the same ids: unchanged files are
answered 'unchanged' and cost nothing: a run stopped half-way is resumed by running it again. One bad
document never drops the others. Exit status 1 if any document was rejected.`;

const BATCH_DOCS = 100;

interface Found {
  path: string;
  id: string;
  source: string;
}

async function walk(root: string): Promise<{ files: Found[]; skipped: string[] }> {
  const files: Found[] = [];
  const skipped: string[] = [];
  const top = resolve(root);
  const source = basename(top);
  const visit = async (path: string) => {
    const info = await stat(path);
    if (info.isDirectory()) {
      for (const entry of (await readdir(path)).sort()) if (!entry.startsWith('.')) await visit(join(path, entry));
    } else if ((EXTENSIONS as readonly string[]).includes(extname(path).toLowerCase())) {
      files.push({ path, id: idFromPath(path === top ? basename(path) : relative(top, path)), source });
    } else {
      skipped.push(path);
    }
  };
  await visit(top);
  return { files, skipped };
}

async function main() {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      url: { type: 'string', default: process.env.MAC_URL ?? 'http://localhost:8080' },
      key: { type: 'string', default: process.env.MAC_API_KEY },
      collection: { type: 'string' },
      source: { type: 'string' },
      wait: { type: 'boolean', default: false },
      batch: { type: 'string', default: String(BATCH_DOCS) },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help || !positionals.length) {
    console.log(USAGE);
    process.exit(values.help ? 0 : 2);
  }
  const headers = { 'content-type': 'application/json', ...(values.key ? { authorization: `Bearer ${values.key}` } : {}) };
  const base = values.url!.replace(/\/$/, '');

  const docs: LoadedDocument[] = [];
  const failures: string[] = [];
  let skipped = 0;
  for (const root of positionals) {
    const found = await walk(root);
    skipped += found.skipped.length;
    for (const file of found.files) {
      try {
        for (const doc of await extractDocuments(file.path, file.id)) {
          docs.push({ ...doc, source: values.source ?? doc.source ?? file.source, ...(values.collection ? { collection: values.collection } : {}) });
        }
      } catch (err) {
        failures.push(`${file.path}: ${(err as Error).message}`);
      }
    }
  }
  console.error(`${docs.length} documents from ${positionals.join(', ')} (${skipped} files of other types skipped) -> ${base}`);

  const counts = { queued: 0, unchanged: 0, rejected: 0 };
  const bar = progressBar('ingest', docs.length);
  let sent = 0;
  const perBatch = Number(values.batch);
  if (!Number.isInteger(perBatch) || perBatch < 1 || perBatch > BATCH_DOCS) throw new Error(`--batch: a whole number from 1 to ${BATCH_DOCS}`);
  for (const batch of batches(docs, perBatch)) {
    const r = await fetch(`${base}/v1/documents`, { method: 'POST', headers, body: JSON.stringify({ documents: batch }) });
    const body = (await r.json().catch(() => null)) as any;
    if (r.status !== 202 && r.status !== 422 && r.status !== 403) {
      bar.done(sent);
      throw new Error(`POST /v1/documents: HTTP ${r.status} ${JSON.stringify(body?.error ?? body)}`);
    }
    const entries: any[] = r.status === 202 ? body.documents : body.error.details;
    for (const e of entries) {
      counts[e.outcome as keyof typeof counts]++;
      if (e.outcome === 'rejected') failures.push(`${e.id ?? `#${sent + e.index}`}: ${e.error.message}`);
    }
    sent += batch.length;
    bar.update(sent);
  }
  bar.done(sent);
  console.error(`queued ${counts.queued}, unchanged ${counts.unchanged}, rejected ${counts.rejected}`);
  for (const f of failures) console.error(`  ${f}`);

  if (values.wait && counts.queued) await waitIndexed(base, headers, values.collection);
  process.exit(failures.length ? 1 : 0);
}

/** Polls /v1/freshness until the queue (within the collection, if one was given) is empty. */
async function waitIndexed(base: string, headers: Record<string, string>, collection?: string) {
  const query = collection ? `?collection=${encodeURIComponent(collection)}` : '';
  const depth = async () => ((await (await fetch(`${base}/v1/freshness${query}`, { headers })).json()) as any).queue;
  const first = await depth();
  const total = first.depth + first.running;
  const bar = progressBar('index', total);
  for (;;) {
    const q = await depth();
    const left = q.depth + q.running;
    bar.update(Math.max(0, total - left));
    if (!left) break;
    await new Promise((r) => setTimeout(r, 500));
  }
  bar.done();
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
