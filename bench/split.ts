import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { bundleSplitter } from '../encoder/bundle-splitter.ts';
import { splitPassages } from '../encoder/passages.ts';
import { machine } from './report.ts';

/**
 * Passage splitting (encoder/passages.ts) over 800 texts, timed, with a hash of every passage: what a
 * change to the splitting rules must leave as it is (the hash) or make faster (the time). The texts: SQuAD
 * 1.1 and 2.0 validation paragraphs, every hand-written set, SQuAD 1.1 validation's articles joined three
 * ways (blank lines, line breaks, one line), the README and the first 200,000 characters of
 * docs/experiments.md; budgets of 64 and 256 tokens, a token being a word, and with BUNDLE the bundle's
 * own sentence-encoder tokens and passage limit (what the ingestion worker splits with).
 *
 *   node --import tsx bench/split.ts [SQUAD_DIR] [BUNDLE]
 */
const squad = process.argv[2] ?? '../shared/data/squad';
const bundle = process.argv[3];
const files = [`${squad}/squad-1.1-validation.jsonl`, `${squad}/squad-2.0-validation.jsonl`,
  ...readdirSync('eval', { withFileTypes: true }).filter((d) => d.isDirectory()).flatMap((d) => readdirSync(`eval/${d.name}`).filter((f) => f.endsWith('.jsonl')).map((f) => `eval/${d.name}/${f}`))];
const lines = (file: string) => readFileSync(file, 'utf8').split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l));
const texts: string[] = files.flatMap((f) => lines(f).map((p) => p.context).filter((c): c is string => typeof c === 'string'));
const articles = new Map<string, string[]>();
for (const p of lines(files[0])) articles.set(p.title, [...(articles.get(p.title) ?? []), p.context]);
for (const paragraphs of articles.values()) texts.push(paragraphs.join('\n\n'), paragraphs.join('\n'), paragraphs.join(' '));
texts.push(readFileSync('README.md', 'utf8'), readFileSync('docs/experiments.md', 'utf8').slice(0, 200_000));

const words = (s: string) => s.split(/\s+/).filter(Boolean).length;
const m = machine();
const chars = (texts.reduce((s, t) => s + t.length, 0) / 1e6).toFixed(1);
function run(label: string, count: (s: string) => number, budgets: number[]) {
  const hash = createHash('sha256');
  const t0 = performance.now();
  for (const text of texts) for (const budget of budgets) hash.update(JSON.stringify(splitPassages(text, count, budget)));
  console.log(`${label}: ${texts.length} texts (${chars} M characters) in ${(performance.now() - t0).toFixed(0)} ms, passages sha256 ${hash.digest('hex').slice(0, 16)}; ${m.cpu}, ${m.cores} cores`);
}
run('words, budgets 64 and 256', words, [64, 256]);
if (bundle) {
  const splitter = bundleSplitter(bundle);
  run(`${bundle}'s encoder tokens, budget ${splitter.maxPassageTokens}`, splitter.countTokens, [splitter.maxPassageTokens]);
}
