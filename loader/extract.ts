import { readFile } from 'node:fs/promises';
import { basename, extname } from 'node:path';
import { convert } from 'html-to-text';
import { htmlToText } from '../core/html-text.ts';

/** A document as the webhook takes it (POST /v1/documents), before the caller's collection is set. */
export interface LoadedDocument {
  id: string;
  text: string;
  title?: string | null;
  source?: string | null;
  url?: string | null;
  published_at?: string | null;
  metadata?: Record<string, unknown> | null;
  collection?: string;
}

export const EXTENSIONS = ['.txt', '.md', '.markdown', '.html', '.htm', '.pdf', '.jsonl'] as const;

/**
 * A stable document id from a file's path below the folder it was found in: the API's id rule (letters,
 * digits and . _ : / @ # -, no empty, `.` or `..` segment), other characters as `-`.
 */
export function idFromPath(relativePath: string): string {
  return relativePath
    .split(/[\\/]+/)
    .map((segment) => segment.replace(/[^\w.:@#-]+/g, '-').replace(/^-+|-+$/g, '') || '-')
    .map((segment) => (segment === '.' || segment === '..' ? segment.replace(/\./g, '-') : segment))
    .join('/');
}

const stem = (path: string) => basename(path, extname(path));

/** The documents in one file: one per file, or one per line of a `.jsonl` (SQuAD or `{id, text, ...}` shape). */
export async function extractDocuments(path: string, id: string): Promise<LoadedDocument[]> {
  const ext = extname(path).toLowerCase();
  if (ext === '.jsonl') return fromJsonLines(await readFile(path, 'utf8'), id);
  if (ext === '.pdf') return [await fromPdf(await readFile(path), id, stem(path))];
  const raw = await readFile(path, 'utf8');
  if (ext === '.html' || ext === '.htm') return [fromHtml(raw, id, stem(path))];
  if (ext === '.md' || ext === '.markdown') return [fromMarkdown(raw, id, stem(path))];
  return [{ id, text: raw.trim(), title: stem(path) }];
}

function fromMarkdown(raw: string, id: string, fallbackTitle: string): LoadedDocument {
  const body = raw.replace(/^---\r?\n[\s\S]*?\r?\n---\r?\n/, ''); // YAML front matter is not content
  const heading = body.match(/^#\s+(.+)$/m)?.[1]?.trim();
  return { id, text: body.trim(), title: heading ?? fallbackTitle };
}

function fromHtml(raw: string, id: string, fallbackTitle: string): LoadedDocument {
  const title = convert(raw, { baseElements: { selectors: ['title'] }, wordwrap: false }).trim();
  return { id, text: htmlToText(raw), title: title || fallbackTitle };
}

async function fromPdf(bytes: Buffer, id: string, fallbackTitle: string): Promise<LoadedDocument> {
  const pdfjs = await import('pdfjs-dist/legacy/build/pdf.mjs');
  const doc = await pdfjs.getDocument({ data: new Uint8Array(bytes), useSystemFonts: false, isEvalSupported: false, verbosity: 0 }).promise;
  try {
    const pages: string[] = [];
    for (let n = 1; n <= doc.numPages; n++) {
      const content = await (await doc.getPage(n)).getTextContent();
      pages.push(content.items.map((item) => ('str' in item ? item.str + (item.hasEOL ? '\n' : ' ') : '')).join('').trim());
    }
    const info = (await doc.getMetadata()).info as { Title?: string } | undefined;
    return { id, text: pages.join('\n\n').trim(), title: info?.Title?.trim() || fallbackTitle };
  } finally {
    await doc.destroy();
  }
}

function fromJsonLines(raw: string, fileId: string): LoadedDocument[] {
  return raw.split('\n').flatMap((line, n) => {
    if (!line.trim()) return [];
    let record: Record<string, any>;
    try {
      record = JSON.parse(line);
    } catch {
      throw new Error(`line ${n + 1}: not JSON`);
    }
    // SQuAD paragraphs carry `context`; any other record is taken as the webhook's own document shape.
    if (typeof record.context === 'string') {
      return [{ id: String(record.id ?? `${fileId}#${n + 1}`), text: record.context, title: record.title ?? null }];
    }
    const { id, text, title, source, url, published_at, metadata, collection } = record;
    return [{ id: String(id ?? `${fileId}#${n + 1}`), text, title, source, url, published_at, metadata, collection }];
  });
}
