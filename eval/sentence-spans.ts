import { readSquad } from '../bench/squad.ts';
import { sentenceStarts } from '../core/sentences.ts';
import { readLogText } from './mode-log.ts';
import type { QuestionRecord } from './modes.ts';

const USAGE = `node --import tsx eval/sentence-spans.ts LOG.jsonl[.gz] ...

How often an answer runs across a sentence start (core/sentences.ts, the boundaries a citation uses): first
the gold answers of SQuAD 1.1 train (their first answer, in their paragraph), then each grounded answer log's
answers (in the sentence they cite), with the mean F1 of those that do.`;

const crosses = (text: string, at: number, length: number) => sentenceStarts(text).some((s) => s > at && s < at + length);

function main() {
  const logs = process.argv.slice(2);
  if (!logs.length || logs.includes('--help')) {
    console.log(USAGE);
    process.exit(logs.length ? 0 : 2);
  }
  let golds = 0;
  let goldCrossing = 0;
  for (const p of readSquad('../shared/data/squad/squad-1.1-train.jsonl')) {
    for (const q of p.qas) {
      const at = q.answers.length ? p.context.indexOf(q.answers[0]) : -1;
      if (at < 0) continue;
      golds++;
      if (crosses(p.context, at, q.answers[0].length)) goldCrossing++;
    }
  }
  console.log(`SQuAD 1.1 train: ${goldCrossing} of ${golds} gold answers cross a sentence start`);
  for (const log of logs) {
    const text = readLogText(log.replace(/\.gz$/, ''));
    if (text === null) throw new Error(`${log}: no such answer log`);
    const rows = text.split('\n').slice(1).filter((l) => l.trim()).map((l) => JSON.parse(l) as QuestionRecord);
    const crossing = rows.filter((r) => r.citation && r.prediction && r.citation.text.includes(r.prediction) && crosses(r.citation.text, r.citation.text.indexOf(r.prediction), r.prediction.length));
    const f1 = crossing.reduce((s, r) => s + r.f1, 0) / Math.max(crossing.length, 1);
    console.log(`${log}: ${crossing.length} of ${rows.length} answers cross a sentence start (mean F1 ${f1.toFixed(2)})${crossing.length ? ': ' + crossing.slice(0, 3).map((r) => JSON.stringify(r.prediction)).join(', ') : ''}`);
  }
}

main();
