import { readLogText } from './mode-log.ts';
import type { QuestionRecord } from './modes.ts';
import { pairedDifference, summarize } from './score.ts';

const USAGE = `npm run eval:compare -- A.jsonl B.jsonl

Pairs two answer logs of \`npm run eval\` (one mode each, any runs; a finished one is stored as .jsonl.gz, and
either name reads it) by question id and prints each one's EM/F1 on the questions both answered, how many of
them got the same answer, and the paired-bootstrap F1 difference A - B with its 95% interval.`;

function read(path: string): Map<string, QuestionRecord> {
  const text = readLogText(path.replace(/\.gz$/, ''));
  if (text === null) throw new Error(`${path}: no such answer log`);
  return new Map(text.split('\n').slice(1).filter((l) => l.trim()).map((l) => JSON.parse(l) as QuestionRecord).map((r) => [r.id, r]));
}

const [a, b] = process.argv.slice(2);
if (!a || !b) {
  console.log(USAGE);
  process.exit(2);
}
const left = read(a);
const right = read(b);
const both = [...left.keys()].filter((id) => right.has(id));
const [l, r] = [both.map((id) => left.get(id)!), both.map((id) => right.get(id)!)];
for (const [path, records] of [[a, l], [b, r]] as const) {
  const s = summarize(records);
  console.log(`${path}: n ${s.n}, EM ${s.em}, F1 ${s.f1}, answer words ${s.mean_answer_words}, median ${s.median_ms} ms`);
}
console.log(`the same answer: ${l.filter((x, i) => x.prediction === r[i].prediction).length} of ${both.length}`);
const d = pairedDifference(l, r);
console.log(`F1 difference A - B: ${d.diff} [${d.low}, ${d.high}] (n ${d.n}${d.n < both.length ? ` answerable of ${both.length}` : ''})`);
