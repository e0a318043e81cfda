import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { api, ingestAll } from '../bench/service.ts';
import { commandLine, gitRevision, machine } from '../bench/report.ts';
import { note, progressBar } from '../bench/progress.ts';
import { readConfig, startService } from '../server/index.ts';
import { answerQuestion, onConflictOption, type Mode } from './modes.ts';
import { follows } from './update.ts';

const STARTED_AT_REVISION = gitRevision();

const USAGE = `npm run eval:conflicts -- [--data eval/conflicts/documents.jsonl] [--out results/conflicts] [--modes ...] [--undated] [--on-conflict note|newer]

Documents that disagree: each pair of the set is an older document stating facts and a newer one, in words
of its own, changing one of them (a new director, a moved date, a higher price). Both go into an empty
memory through the webhook, the older first; then each mode is asked the changed fact (does the answer
follow the newer document, the older, or neither?) and a fact only the older states (is it still right?).
Also counted: answers the service gives with a conflict note naming the newer value (changed facts) or
any note (unchanged facts: a false alarm). --undated: the documents carry no published_at, so only the
order they were indexed in tells which is newer. --on-conflict: what the answers ask for (default: the
service's, note).`;

interface Pair {
  id: string;
  older: { title: string; text: string; published_at: string };
  newer: { title: string; text: string; published_at: string };
  questions: { question: string; answer: string; old?: string }[];
}

type Counts = { changed: number; new: number; old: number; neither: number; noted_new: number; kept: number; kept_right: number; kept_noted: number };

export async function main() {
  const { values } = parseArgs({
    options: {
      data: { type: 'string', default: 'eval/conflicts/documents.jsonl' }, out: { type: 'string', default: 'results/conflicts' },
      modes: { type: 'string', default: 'mac,rag+grounded,hybrid+grounded' }, 'max-tokens': { type: 'string', default: '16' },
      bundle: { type: 'string', default: 'bundles/default' }, threads: { type: 'string', default: '0' }, undated: { type: 'boolean', default: false },
      'on-conflict': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const onConflict = onConflictOption(values['on-conflict']);
  const out = values.out!.replace(/\.json$/, '');
  const modes = values.modes!.split(',').filter(Boolean) as Mode[];
  const pairs = readFileSync(values.data!, 'utf8').split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l) as Pair);
  const work = join('runs', 'eval-conflicts');
  rmSync(work, { recursive: true, force: true }); // an empty memory: only the set's documents
  mkdirSync(work, { recursive: true });
  const running = await startService(readConfig({
    PORT: '0', HOST: '127.0.0.1', DATA_DIR: work, BUNDLE_DIR: values.bundle!, PROBE_INTERVAL_S: '0', ABSTAIN_BELOW: '-1', THREADS: values.threads!,
  }));
  const summary: Record<string, Counts> = {};
  const answers: Record<string, { question: string; expected: string; old: string | null; prediction: string; confidence: number | undefined; sources: string[]; conflicts: string[] }[]> = {};
  try {
    const client = api(running.url);
    const doc = (p: Pair, which: 'older' | 'newer') => {
      const { published_at, ...rest } = p[which];
      return { id: `${p.id}/${which}`, source: 'conflicts', ...rest, ...(values.undated ? {} : { published_at }) };
    };
    await ingestAll(client, pairs.map((p) => doc(p, 'older')), 50, 'older documents');
    await ingestAll(client, pairs.map((p) => doc(p, 'newer')), 50, 'newer documents');
    const questions = pairs.flatMap((p) => p.questions.map((q, i) => ({ ...q, id: `${p.id}/q${i}`, pair: p })));
    for (const mode of modes) {
      const bar = progressBar(`conflicts ${mode}`, questions.length);
      const counts: Counts = { changed: 0, new: 0, old: 0, neither: 0, noted_new: 0, kept: 0, kept_right: 0, kept_noted: 0 };
      answers[mode] = [];
      for (const [i, q] of questions.entries()) {
        const paragraph = { id: `${q.pair.id}/${q.old ? 'newer' : 'older'}`, title: '', context: '', qas: [] };
        const r = await answerQuestion(running, client, mode, { id: q.id, question: q.question, answers: [q.answer], paragraph }, Number(values['max-tokens']), { onConflict });
        const conflicts = r.conflicts ?? [];
        if (q.old) {
          counts.changed++;
          counts[follows(r.prediction, q.answer, q.old)]++;
          counts.noted_new += Number(conflicts.some((c) => follows(c, q.answer, q.old!) === 'new'));
        } else {
          counts.kept++;
          counts.kept_right += Number(r.f1 >= 0.5);
          counts.kept_noted += Number(conflicts.length > 0);
        }
        answers[mode].push({ question: q.question, expected: q.answer, old: q.old ?? null, prediction: r.prediction, confidence: r.confidence, sources: r.sources, conflicts });
        bar.update(i + 1);
      }
      bar.done();
      summary[mode] = counts;
      note(`${mode}: changed facts: newer ${counts.new}, older ${counts.old}, neither ${counts.neither} of ${counts.changed}, the newer value noted ${counts.noted_new}; ` +
        `unchanged facts right ${counts.kept_right} of ${counts.kept}, noted ${counts.kept_noted}`);
    }
  } finally {
    await running.close();
  }
  const report = {
    command: commandLine(process.argv.slice(2), 'eval:conflicts', 'eval/conflicts.ts'), git: STARTED_AT_REVISION, finished_at: new Date().toISOString(),
    machine: machine(), data: values.data, dated: !values.undated, on_conflict: onConflict ?? 'service default',
    rule: 'changed fact: new if the normalised newer value occurs in the normalised answer, else old if the older value does, else neither; ' +
      'noted: a conflict note gives the newer value; unchanged fact: right if F1 >= 0.5, noted if it carries any conflict note',
    summary, answers,
  };
  mkdirSync(dirname(out) || '.', { recursive: true });
  writeFileSync(`${out}.json`, JSON.stringify(report, null, 2) + '\n');
  const rows = modes.map((m) => {
    const c = summary[m];
    return `| ${m} | ${c.new} / ${c.old} / ${c.neither} of ${c.changed} | ${c.noted_new} | ${c.kept_right} of ${c.kept} | ${c.kept_noted} |`;
  });
  writeFileSync(`${out}.md`, [`# ${out}`, '', '```bash', report.command, '```', '',
    `${machine().cpu}; git ${STARTED_AT_REVISION}; ${values.undated ? 'undated (indexing order)' : 'dated (published_at)'}; on_conflict ${report.on_conflict}`, '',
    '| mode | changed fact: newer / older / neither | the newer value in a conflict note | unchanged fact right (F1 >= 0.5) | unchanged fact with a conflict note |',
    '|---|---|---|---|---|', ...rows, ''].join('\n'));
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
