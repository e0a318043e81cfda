import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FIELD } from '../core/text-blocks.ts';
import { extractDocuments } from '../loader/extract.ts';

const USAGE = `node --import tsx eval/html-set.ts IN.jsonl OUT.jsonl

A hand-written Markdown set (eval/tables, eval/lists, eval/fields: SQuAD-format lines) as web pages: each
context written as HTML (headings, tables, lists, runs of "Key: value" lines as a definition list,
paragraphs) and read back by the loader (loader/extract.ts, as \`npm run ingest\` reads an .html file). OUT
holds the loader's text as each context, the questions unchanged, so \`npm run eval -- --data OUT\`
measures answers from HTML pages. Prints how many gold answers the loader's text still holds.`;

const escape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const cells = (row: string) => row.trim().replace(/^\||\|$/g, '').split('|').map((c) => escape(c.trim()));
const FIELD_LINE = new RegExp(`^${FIELD}`, 'u');

/** One Markdown block (text between blank lines) as HTML. */
function blockHtml(block: string): string {
  const lines = block.split('\n');
  const heading = /^(#+) (.*)$/.exec(block);
  if (heading && lines.length === 1) return `<h${heading[1].length}>${escape(heading[2])}</h${heading[1].length}>`;
  if (lines.every((l) => l.trim().startsWith('|'))) {
    const [head, , ...body] = lines;
    return `<table><thead><tr>${cells(head).map((c) => `<th>${c}</th>`).join('')}</tr></thead><tbody>${body
      .map((r) => `<tr>${cells(r).map((c) => `<td>${c}</td>`).join('')}</tr>`)
      .join('')}</tbody></table>`;
  }
  if (lines.every((l) => /^- /.test(l))) return `<ul>${lines.map((l) => `<li>${escape(l.slice(2))}</li>`).join('')}</ul>`;
  if (lines.every((l) => /^\d+\. /.test(l))) return `<ol>${lines.map((l) => `<li>${escape(l.replace(/^\d+\. /, ''))}</li>`).join('')}</ol>`;
  if (lines.length > 1 && lines.every((l) => FIELD_LINE.test(l))) {
    return `<dl>${lines.map((l) => l.split(/: (.*)/s)).map(([k, v]) => `<dt>${escape(k)}</dt><dd>${escape(v)}</dd>`).join('')}</dl>`;
  }
  return `<p>${escape(block)}</p>`;
}

export function markdownToHtml(title: string, markdown: string): string {
  const body = markdown.trim().split(/\n\s*\n/).map(blockHtml).join('\n');
  return `<!doctype html>\n<html><head><title>${escape(title)}</title></head><body>\n${body}\n</body></html>\n`;
}

async function main() {
  const [input, output] = process.argv.slice(2);
  if (!input || !output) {
    console.log(USAGE);
    process.exit(2);
  }
  const dir = mkdtempSync(join(tmpdir(), 'html-set-'));
  let golds = 0;
  let kept = 0;
  const out: string[] = [];
  try {
    for (const line of readFileSync(input, 'utf8').split('\n').filter((l) => l.trim())) {
      const doc = JSON.parse(line) as { id: string; title: string; context: string; qas: { answers: string[] }[] };
      const path = join(dir, `${doc.id}.html`);
      writeFileSync(path, markdownToHtml(doc.title, doc.context));
      const [loaded] = await extractDocuments(path, doc.id);
      for (const qa of doc.qas) {
        golds++;
        if (qa.answers.some((a) => loaded.text.includes(a))) kept++;
      }
      out.push(JSON.stringify({ ...doc, context: loaded.text }));
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  writeFileSync(output, `${out.join('\n')}\n`);
  console.log(`${output}: ${out.length} documents; ${kept} of ${golds} questions' answers in the loader's text`);
}

if (process.argv[1]?.endsWith('html-set.ts')) await main();
