import { createHash } from 'node:crypto';
import { copyFileSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { CALIBRATION_FILE, Calibrator, DEFAULT_FEATURES, FEATURES, featureValues, SPAN_FEATURES, type CalibrationFile, type Feature } from '../answer/calibrator.ts';
import { commandLine, gitRevision } from '../bench/report.ts';
import { readSquad } from '../bench/squad.ts';
import { note } from '../bench/progress.ts';
import { configSchema } from '../server/index.ts';
import { fitLogistic, sigmoid } from './logistic.ts';
import type { QuestionRecord } from './modes.ts';
import { auroc, chooseThreshold, ece, isRight, RIGHT_F1, scoreRecords, selectiveSummary, signalsOf, THRESHOLD_RULE, type Scored } from './selective.ts';

const USAGE = `npm run calibrate -- --records results/NAME [--records results/OTHER ...] [--features a,b,...] [--features MODE=a,b,...] [--bundle bundles/default] [--out weights/calibration.json]

Fits the calibrated confidence of every service mode answered in \`npm run eval\` runs (results/NAME/<mode>.jsonl, pooled):
a logistic model of "F1 >= ${RIGHT_F1}" on the answerable questions, over --features (default ${DEFAULT_FEATURES.join(',')};
of ${FEATURES.join(', ')}: base has no similarity, only grounded modes have the span features; MODE=... sets one
mode's); and each
mode's default abstention threshold on all of them (unanswerable ones included: the best worse side of
answerable questions answered and unanswerable ones abstained on). Run it on
reserved training questions, never on validation. Writes --out (committed; scripts/setup.sh installs it
into the bundle) and the bundle's own ${CALIBRATION_FILE}.`;

const SERVICE_MODES = /^(base|mac|rag|hybrid)(\+grounded)?$/;

function main() {
  const { values } = parseArgs({
    options: {
      records: { type: 'string', multiple: true }, features: { type: 'string', multiple: true, default: [DEFAULT_FEATURES.join(',')] }, bundle: { type: 'string', default: 'bundles/default' },
      out: { type: 'string', default: 'weights/calibration.json' }, help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help || !values.records?.length) {
    console.log(USAGE);
    process.exit(values.help ? 0 : 2);
  }
  const featuresOf = parseFeatures(values.features!);
  const manifest = JSON.parse(readFileSync(join(values.bundle!, 'manifest.json'), 'utf8'));
  const gate = configSchema.shape.ABSTAIN_BELOW.parse(undefined);
  const runs = values.records.map((r) => readRun(r.replace(/\.json$/, ''), manifest.bundle_id));
  const titleOf = new Map([...new Set(runs.map((run) => run.data))].flatMap((data) => readSquad(data).flatMap((p) => p.qas.map((q) => [q.id, p.title] as const))));
  const file: CalibrationFile = {
    format: 'mac-calibration', version: 1, bundle_id: manifest.bundle_id, target: `token F1 >= ${RIGHT_F1} against the best gold answer`,
    fit: {
      command: commandLine(process.argv.slice(2), 'calibrate', 'eval/calibrate.ts'), git: gitRevision(),
      runs: runs.map(({ dir, command, data, dataSha256, logs }) => ({
        records: dir, eval_command: command, data, data_sha256: dataSha256,
        logs_sha256: Object.fromEntries(Object.entries(logs).map(([mode, log]) => [mode, log.sha256])),
      })),
      similarity_gate: gate, threshold_rule: THRESHOLD_RULE,
      /** Per mode, the fit questions' articles: answerable and unanswerable questions of each. */
      articles: {} as Record<string, Record<string, [number, number]>>,
      /** Out-of-fold figures on the fit questions (5 folds): what the fit promises before validation. */
      cross_validation: {} as Record<string, { auroc: number | null; ece: number }>,
    },
    modes: {},
  };
  const modes = [...new Set(runs.flatMap((run) => Object.keys(run.logs)))].sort();
  for (const mode of modes) {
    const byId = new Map(runs.flatMap((run) => run.logs[mode]?.records ?? []).map((r) => [r.id, r]));
    const records = [...byId.values()];
    const answerable = records.filter((r) => r.golds.length && (r.token_prob ?? r.confidence) !== undefined);
    if (answerable.length < 20 || answerable.every((r) => isRight(r.f1) === isRight(answerable[0].f1))) {
      note(`${mode}: skipped (${answerable.length} answerable questions with confidence recorded, too few or all alike to fit)`);
      continue;
    }
    const features = featuresOf(mode).filter((f) => !(f === 'similarity' && mode.startsWith('base')) && !(SPAN_FEATURES.includes(f) && !mode.endsWith('+grounded')));
    if (features.some((f) => SPAN_FEATURES.includes(f)) && answerable.some((r) => r.span_prob === undefined)) {
      throw new Error(`${mode}: the span features need answer logs that record span_prob (answered since the span shares were logged): rerun the evaluation`);
    }
    const rows = answerable.map((r) => features.map((f) => featureValues(signalsOf(r))[f]));
    const labels = answerable.map((r) => Number(isRight(r.f1)));
    const fit = fitLogistic(rows, labels);
    const cv = crossValidate(rows, labels, answerable.map((r) => r.f1));
    (file.fit.cross_validation as Record<string, object>)[mode] = cv;
    const articles: Record<string, [number, number]> = {};
    for (const r of records) (articles[titleOf.get(r.id) ?? '?'] ??= [0, 0])[r.golds.length ? 0 : 1]++;
    (file.fit.articles as Record<string, object>)[mode] = articles;
    file.modes[mode] = { features, ...fit, threshold: 0, n: answerable.length, positives: labels.filter(Boolean).length };
    const scored = scoreRecords(new Calibrator(file), mode, records, gate)!;
    file.modes[mode].threshold = Number(chooseThreshold(scored).toFixed(4));
    const s = selectiveSummary(scored, file.modes[mode].threshold);
    note(`${mode}: ${answerable.length} answerable (${file.modes[mode].positives} right), ${records.length - answerable.length} other, ${Object.keys(articles).length} articles; ` +
      `fit AUROC ${s.auroc}, ECE ${s.ece}; 5-fold AUROC ${cv.auroc}, ECE ${cv.ece}; threshold ${file.modes[mode].threshold}: ${JSON.stringify(s.at_default_threshold)}`);
  }
  if (!Object.keys(file.modes).length) throw new Error(`${values.records.join(', ')}: no answer log of a service mode (base, mac, rag, hybrid, +grounded) to fit`);
  writeFileSync(values.out!, JSON.stringify(file, null, 2) + '\n');
  copyFileSync(values.out!, join(values.bundle!, CALIBRATION_FILE));
  note(`wrote ${values.out} and ${join(values.bundle!, CALIBRATION_FILE)}`);
}

/** `--features a,b` (every mode) and `--features MODE=a,b` (that mode's): a mode's feature list. */
function parseFeatures(options: string[]): (mode: string) => Feature[] {
  const lists = new Map<string, Feature[]>();
  for (const option of options) {
    const [mode, list] = option.includes('=') ? option.split('=', 2) : ['', option];
    const features = list.split(',').map((f) => f.trim()).filter(Boolean);
    const unknown = features.filter((f) => !(FEATURES as readonly string[]).includes(f));
    if (unknown.length || !features.length) throw new Error(`--features ${option}: ${unknown.join(', ') || 'no feature'} unknown (known: ${FEATURES.join(', ')})`);
    lists.set(mode, features as Feature[]);
  }
  return (mode) => lists.get(mode) ?? lists.get('') ?? [...DEFAULT_FEATURES];
}

/** One `npm run eval` run: its command and data, and each service mode's answer log (checked to be this bundle's). */
function readRun(dir: string, bundleId: string) {
  const run = JSON.parse(readFileSync(`${dir}.json`, 'utf8'));
  const logs: Record<string, { records: QuestionRecord[]; sha256: string }> = {};
  for (const name of readdirSync(dir).filter((f) => f.endsWith('.jsonl'))) {
    const mode = name.replace(/\.jsonl$/, '');
    if (!SERVICE_MODES.test(mode)) continue;
    const text = readFileSync(join(dir, name), 'utf8');
    const [header, ...lines] = text.split('\n').filter((l) => l.trim());
    if (JSON.parse(header).settings.bundle_id !== bundleId) throw new Error(`${dir}/${name} holds answers of another bundle than ${bundleId}: rerun the evaluation`);
    logs[mode] = { records: lines.map((l) => JSON.parse(l) as QuestionRecord), sha256: createHash('sha256').update(text).digest('hex') };
  }
  return { dir, command: run.command as string, data: run.settings.data as string, dataSha256: run.settings.data_sha256 as string, logs };
}

/** Out-of-fold probabilities (k interleaved folds) scored as validation would score them. */
function crossValidate(rows: number[][], labels: number[], f1: number[], k = 5) {
  const folds = Array.from({ length: k }, (_, fold) => {
    const train = rows.map((_, j) => j).filter((j) => j % k !== fold);
    return fitLogistic(train.map((j) => rows[j]), train.map((j) => labels[j]));
  });
  const scored: Scored[] = rows.map((row, i) => {
    const fit = folds[i % k];
    const z = row.reduce((s, v, c) => s + fit.coef[c] * ((v - fit.mean[c]) / fit.std[c]), fit.intercept);
    return { p: sigmoid(z), f1: f1[i], answerable: true, gated: false };
  });
  const a = auroc(scored);
  return { auroc: a === null ? null : Number(a.toFixed(3)), ece: Number(ece(scored).toFixed(3)) };
}

main();
