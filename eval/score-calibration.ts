import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { Calibrator, calibrationSchema } from '../answer/calibrator.ts';
import { configSchema } from '../server/index.ts';
import { modeLogPath, readLogText, recordedModes } from './mode-log.ts';
import type { QuestionRecord } from './modes.ts';
import { questionsInTables, runData, scoreRecords, selectiveSummary, withTableRows } from './selective.ts';

const USAGE = `npm run eval:calibration -- --calibration FILE --records results/NAME [--records results/OTHER ...] [--modes a,b] [--threshold X] [--gate X] [--documents tables|prose]

Scores recorded answers (\`npm run eval\` logs, results/NAME/<mode>.jsonl[.gz]) with a calibration file, pooled
over every --records, and prints per mode what \`npm run eval\` reports of one run: ECE and AUROC over the
answerable questions, and at the file's thresholds the shares answered and abstained, and the F1 answered.
Nothing is answered again and nothing written: to judge a calibration (\`npm run calibrate -- --no-install\`)
on answers it was not fitted on before installing it, or a threshold. --threshold: every mode's, instead of the file's
(what ABSTAIN_BELOW_CONFIDENCE=X would do); --gate: the similarity gate (default: ABSTAIN_BELOW's); --documents: only the
questions of documents that hold a table (tables) or hold none (prose).`;

function main() {
  const { values } = parseArgs({
    options: {
      calibration: { type: 'string' }, records: { type: 'string', multiple: true }, modes: { type: 'string' }, threshold: { type: 'string' }, gate: { type: 'string' },
      documents: { type: 'string' }, help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help || !values.calibration || !values.records?.length) {
    console.log(USAGE);
    process.exit(values.help ? 0 : 2);
  }
  const calibrator = new Calibrator(calibrationSchema.parse(JSON.parse(readFileSync(values.calibration, 'utf8'))));
  const gate = configSchema.shape.ABSTAIN_BELOW.parse(values.gate);
  const threshold = values.threshold === undefined ? null : Number(values.threshold);
  if (threshold !== null && !(threshold >= 0 && threshold <= 1)) throw new Error(`--threshold ${values.threshold}: a number in [0, 1]`);
  const documents = values.documents;
  if (documents !== undefined && documents !== 'tables' && documents !== 'prose') throw new Error(`--documents ${documents}: tables or prose`);
  const modes = values.modes?.split(',') ?? [...new Set(values.records.flatMap((dir) => recordedModes(dir)))].filter((m) => calibrator.has(m));
  console.log(`${values.calibration}${threshold === null ? '' : `, threshold ${threshold}`}, similarity gate ${gate}; records: ${values.records.join(' ')}` +
    `${documents ? `; only documents ${documents === 'tables' ? 'with' : 'without'} a table` : ''}\n`);
  console.log('| mode | answerable | share right | mean confidence | ECE | AUROC | threshold | answerable answered | unanswerable abstained | F1 answered / all answerable |');
  console.log('|---|---|---|---|---|---|---|---|---|---|');
  for (const mode of modes) {
    const records = values.records.flatMap((dir) => logRecords(dir, mode, documents));
    const scored = scoreRecords(calibrator, mode, records, gate);
    if (!scored) throw new Error(`${mode}: ${values.calibration} has no fit of it, or a log lacks a signal it reads (${calibrator.features(mode).join(', ')})`);
    const s = selectiveSummary(scored, threshold ?? calibrator.threshold(mode)!);
    const at = s.at_default_threshold;
    const answerable = scored.filter((x) => x.answerable).length;
    console.log(`| ${mode} | ${answerable} | ${s.share_right ?? '–'} | ${s.mean_confidence ?? '–'} | ${s.ece ?? '–'} | ${s.auroc ?? '–'} | ${at.threshold} | ${at.answerable_answered ?? '–'} | ` +
      `${at.unanswerable_abstained ?? '–'} (of ${scored.length - answerable}) | ${at.f1_answered ?? '–'} / ${at.f1_answerable ?? '–'} |`);
  }
}

/** A run's answers in one mode (none where the run did not answer it); `documents`: only those of documents with a table, or without. */
function logRecords(dir: string, mode: string, documents?: 'tables' | 'prose'): QuestionRecord[] {
  const text = readLogText(modeLogPath(dir, mode as never));
  if (text === null) return [];
  const data = runData(dir);
  const records = withTableRows(text.split('\n').filter((l) => l.trim()).slice(1).map((l) => JSON.parse(l) as QuestionRecord), data);
  if (!documents) return records;
  const inTables = questionsInTables(data);
  return records.filter((r) => inTables.has(r.id) === (documents === 'tables'));
}

main();
