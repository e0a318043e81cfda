import { createHash } from 'node:crypto';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { CALIBRATION_FILE, Calibrator, DEFAULT_FEATURES, FEATURES, featureValues, GROUNDED_FEATURES, READER_FEATURES, type CalibrationFile, type Feature } from '../answer/calibrator.ts';
import { READER_FILE, readerSha256 } from '../answer/reader.ts';
import { commandLine, gitRevision } from '../bench/report.ts';
import { readSquad } from '../bench/squad.ts';
import { note } from '../bench/progress.ts';
import { configSchema } from '../server/index.ts';
import { fitLogistic, sigmoid } from './logistic.ts';
import { modeLogPath, readLogText, recordedModes } from './mode-log.ts';
import { serviceMode, type QuestionRecord } from './modes.ts';
import { auroc, chooseThreshold, ece, gateNote, isRight, missingSignals, RIGHT_F1, scoreRecords, selectiveSummary, signalsOf, THRESHOLD_RULE, withTableRows, type Scored } from './selective.ts';

const USAGE = `npm run calibrate -- --records results/NAME [--records results/OTHER ...] [--features a,b,...] [--features MODE=a,b,...] [--modes a,b] [--bundle bundles/default] [--out weights/calibration.json] [--gate X] [--check] [--no-install]

Fits the calibrated confidence of every service mode answered in \`npm run eval\` runs (results/NAME/<mode>.jsonl[.gz], pooled):
a logistic model of "F1 >= ${RIGHT_F1}" on the answerable questions, over --features (default ${DEFAULT_FEATURES.join(',')};
of ${FEATURES.join(', ')}: base has no similarity or reader features, only grounded modes the span features and reader_margin; MODE=... sets one
mode's; --modes: only these modes, default every one answered); and each
mode's default abstention threshold on all of them (unanswerable ones included: the best worse side of
answerable questions answered and unanswerable ones abstained on). Run it on
reserved training questions, never on validation. Writes --out (committed; scripts/setup.sh installs it
into the bundle) and the bundle's own ${CALIBRATION_FILE}; --no-install writes --out only (a fit to read, not
to answer with); --check fits and reports, and writes nothing (to compare feature sets). --gate: the similarity gate the thresholds are chosen under (default: ABSTAIN_BELOW's
default; a service run with another ABSTAIN_BELOW wants thresholds chosen under it).`;

function main() {
  const { values } = parseArgs({
    options: {
      records: { type: 'string', multiple: true }, features: { type: 'string', multiple: true, default: [DEFAULT_FEATURES.join(',')] }, bundle: { type: 'string', default: 'bundles/default' },
      modes: { type: 'string' }, out: { type: 'string', default: 'weights/calibration.json' }, check: { type: 'boolean', default: false }, 'no-install': { type: 'boolean', default: false }, gate: { type: 'string' }, help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help || !values.records?.length) {
    console.log(USAGE);
    process.exit(values.help ? 0 : 2);
  }
  const featuresOf = parseFeatures(values.features!);
  const manifest = JSON.parse(readFileSync(join(values.bundle!, 'manifest.json'), 'utf8'));
  const gate = configSchema.shape.ABSTAIN_BELOW.parse(values.gate);
  const runs = values.records.map((r) => readRun(r.replace(/\.json$/, ''), manifest.bundle_id));
  const titleOf = new Map([...new Set(runs.map((run) => run.data))].flatMap((data) => readSquad(data).flatMap((p) => p.qas.map((q) => [q.id, p.title] as const))));
  const articleOf = (r: QuestionRecord) => titleOf.get(r.id) ?? '?';
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
      cross_validation: {} as Record<string, ReturnType<typeof crossValidate>>,
    },
    modes: {},
  };
  const answered = [...new Set(runs.flatMap((run) => Object.keys(run.logs)))].sort();
  const named = values.modes?.split(',');
  const unknown = named?.filter((m) => !answered.includes(m)) ?? [];
  if (unknown.length) throw new Error(`--modes ${unknown.join(', ')}: not answered in the records (they hold ${answered.join(', ')})`);
  const modes = named ? answered.filter((m) => named.includes(m)) : answered;
  for (const mode of modes) {
    const byId = new Map(runs.flatMap((run) => run.logs[mode]?.records ?? []).map((r) => [r.id, r]));
    const records = [...byId.values()];
    const answerable = records.filter((r) => r.golds.length && (r.token_prob ?? r.confidence) !== undefined);
    if (answerable.length < 20 || answerable.every((r) => isRight(r.f1) === isRight(answerable[0].f1))) {
      note(`${mode}: skipped (${answerable.length} answerable questions with confidence recorded, too few or all alike to fit)`);
      continue;
    }
    const base = mode.startsWith('base');
    const features = featuresOf(mode).filter((f) => !(base && (f === 'similarity' || READER_FEATURES.includes(f))) && !(GROUNDED_FEATURES.includes(f) && !mode.endsWith('+grounded')));
    const missing = missingSignals(features, answerable);
    if (missing.length) throw new Error(`${mode}: the features ${features.join(', ')} need answer logs that record ${missing.join(', ')} (answered since it was logged): rerun the evaluation`);
    if (features.some((f) => READER_FEATURES.includes(f))) file.reader_sha256 = fittedReader(values.bundle!, runs);
    const rows = answerable.map((r) => features.map((f) => featureValues(signalsOf(r))[f]));
    const labels = answerable.map((r) => Number(isRight(r.f1)));
    const fit = fitLogistic(rows, labels);
    const cv = crossValidate(rows, labels, answerable.map((r) => r.f1), answerable.map(articleOf));
    (file.fit.cross_validation as Record<string, object>)[mode] = cv;
    const articles: Record<string, [number, number]> = {};
    for (const r of records) (articles[articleOf(r)] ??= [0, 0])[r.golds.length ? 0 : 1]++;
    (file.fit.articles as Record<string, object>)[mode] = articles;
    file.modes[mode] = { features, ...fit, threshold: 0, n: answerable.length, positives: labels.filter(Boolean).length };
    const older = gateNote(records);
    if (older) note(`${mode}: ${older}; the threshold is chosen under that gate`);
    const scored = scoreRecords(new Calibrator(file), mode, records, gate)!;
    file.modes[mode].threshold = Number(chooseThreshold(scored).toFixed(4));
    const s = selectiveSummary(scored, file.modes[mode].threshold);
    note(`${mode}: ${answerable.length} answerable (${file.modes[mode].positives} right), ${records.length - answerable.length} other, ${Object.keys(articles).length} articles; ` +
      `fit AUROC ${s.auroc}, ECE ${s.ece}; 5-fold AUROC ${cv.auroc}, ECE ${cv.ece} (${cv.random_splits.splits} random splits: ${cv.random_splits.auroc}, ${cv.random_splits.ece}); ` +
      `each article held out: AUROC ${cv.articles_held_out.auroc}, ECE ${cv.articles_held_out.ece}, alone: ${JSON.stringify(cv.articles_held_out.alone)}; ` +
      `threshold ${file.modes[mode].threshold}: ${JSON.stringify(s.at_default_threshold)}`);
  }
  if (!Object.keys(file.modes).length) throw new Error(`${values.records.join(', ')}: no answer log of a service mode (base, mac, rag, hybrid, +grounded) to fit`);
  if (values.check) return note('--check: nothing written');
  writeFileSync(values.out!, JSON.stringify(file, null, 2) + '\n');
  if (values['no-install']) return note(`wrote ${values.out} (--no-install: ${join(values.bundle!, CALIBRATION_FILE)} left as it is)`);
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
  /** Per log, the reader that checked its answers (the first 12 hex digits of its hash; undefined: none). */
  const readers: Record<string, string | undefined> = {};
  for (const mode of recordedModes(dir).filter((m) => !serviceMode(m).oracle)) {
    const path = modeLogPath(dir, mode);
    const text = readLogText(path)!;
    const [header, ...lines] = text.split('\n').filter((l) => l.trim());
    const { settings } = JSON.parse(header);
    readers[path] = settings.reader;
    if (settings.bundle_id !== bundleId) throw new Error(`${path} holds answers of another bundle than ${bundleId}: rerun the evaluation`);
    logs[mode] = { records: withTableRows(lines.map((l) => JSON.parse(l) as QuestionRecord), run.settings.data), sha256: createHash('sha256').update(text).digest('hex') };
  }
  return { dir, command: run.command as string, data: run.settings.data as string, dataSha256: run.settings.data_sha256 as string, logs, readers };
}

/** The bundle's reader, which must be the one the fit's answers were checked with (their logs name it). */
function fittedReader(bundle: string, runs: ReturnType<typeof readRun>[]): string {
  const sha = readerSha256(bundle);
  if (!sha) throw new Error(`${bundle} has no ${READER_FILE} to check answers with: run \`npm run setup\``);
  const other = runs.flatMap((run) => Object.entries(run.readers)).find(([, used]) => used !== undefined && used !== sha.slice(0, 12));
  if (other) throw new Error(`${other[0]} was checked by reader ${other[1]}, not the bundle's ${READER_FILE} (${sha.slice(0, 12)}): rerun the evaluation`);
  return sha;
}

/**
 * Out-of-fold probabilities (k folds) scored as validation would score them: the interleaved folds (question
 * i in fold i mod k), and the mean over 20 seeded random splits (one split's figure moves with which
 * questions share a fold; the mean is what a rule comparing two feature sets reads). And each article held
 * out in turn, fitted on the others, as validation's articles are unseen: pooled, and alone for each article
 * with MIN_ARTICLE_QUESTIONS answerable questions (validation's first 500 are mostly one article, which a
 * pooled figure did not foresee: docs/experiments.md, "The rule for the next reader").
 */
function crossValidate(rows: number[][], labels: number[], f1: number[], article: string[], k = 5, splits = 20) {
  const interleaved = outOfFold(rows, labels, f1, rows.map((_, i) => i % k), k);
  const random = Array.from({ length: splits }, (_, seed) => outOfFold(rows, labels, f1, shuffledFolds(rows.length, k, seed), k));
  const titles = [...new Set(article)];
  const heldOut = outOfFold(rows, labels, f1, article.map((a) => titles.indexOf(a)), titles.length);
  const alone = titles.map((title) => ({ title, n: article.filter((a) => a === title).length }))
    .filter(({ n }) => n >= MIN_ARTICLE_QUESTIONS)
    .map(({ title, n }) => ({ title, n, auroc: r3(auroc(heldOut.filter((_, i) => article[i] === title))) }));
  return {
    auroc: r3(auroc(interleaved)), ece: r3(ece(interleaved)),
    random_splits: { splits, auroc: r3(mean(random.map(auroc))), ece: r3(mean(random.map((s) => ece(s)))) },
    articles_held_out: { auroc: r3(auroc(heldOut)), ece: r3(ece(heldOut)), alone },
  };
}

/** An article's own held-out AUROC is read where it has this many answerable fit questions (fewer: noise). */
const MIN_ARTICLE_QUESTIONS = 30;
const mean = (xs: (number | null)[]) => (xs.some((x) => x === null) ? null : xs.reduce((s, x) => s! + x!, 0)! / xs.length);
const r3 = (x: number | null) => (x === null ? null : Number(x.toFixed(3)));

function outOfFold(rows: number[][], labels: number[], f1: number[], fold: number[], k: number): Scored[] {
  const fits = Array.from({ length: k }, (_, f) => {
    const train = rows.map((_, j) => j).filter((j) => fold[j] !== f);
    return fitLogistic(train.map((j) => rows[j]), train.map((j) => labels[j]));
  });
  return rows.map((row, i) => {
    const fit = fits[fold[i]];
    const z = row.reduce((s, v, c) => s + fit.coef[c] * ((v - fit.mean[c]) / fit.std[c]), fit.intercept);
    return { p: sigmoid(z), f1: f1[i], answerable: true, gated: false };
  });
}

/** A seeded random split into k folds of near-equal size (a shuffled i mod k). */
function shuffledFolds(n: number, k: number, seed: number): number[] {
  let state = seed + 1;
  const random = () => { // mulberry32
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
  const folds = Array.from({ length: n }, (_, i) => i % k);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [folds[i], folds[j]] = [folds[j], folds[i]];
  }
  return folds;
}

main();
