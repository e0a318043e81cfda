import { readFileSync } from 'node:fs';
import { Calibrator, type Feature } from '../answer/calibrator.ts';
import { readSquad, type SquadParagraph } from '../bench/squad.ts';
import { tablesOf } from '../core/tables.ts';
import type { QuestionRecord } from './modes.ts';
import { seededRandom } from './score.ts';

/**
 * Calibration and selective answering, measured on answer logs: each answer's calibrated probability
 * (the service's own Calibrator over the signals the log records), then how well it ranks right answers
 * (AUROC), how well its probabilities match the share right (ECE), and what abstaining below a threshold
 * does to coverage, to the F1 of what is answered, and to unanswerable questions (SQuAD 2.0).
 */
export interface Scored {
  /** Calibrated probability that the answer is right. */
  p: number;
  f1: number;
  answerable: boolean;
  /** Abstained before any answer was written (the service's similarity gate, ABSTAIN_BELOW). */
  gated: boolean;
  /** Grounded answers with a citation: whether the cited text lies in the gold paragraph and holds a gold answer, and whether the answer's own span does. */
  citationCorrect?: boolean;
  answerSpanCorrect?: boolean;
}

/** "Right": token F1 of at least 0.5 against the best gold answer (the calibrator's target). */
export const RIGHT_F1 = 0.5;
export const isRight = (f1: number) => f1 >= RIGHT_F1;

/** A logged answer's signals (logs written before calibration recorded the token probability as `confidence`). */
export const signalsOf = (r: QuestionRecord) => ({
  tokenProb: r.token_prob ?? r.confidence ?? 0, similarity: r.similarity ?? null, answer: r.prediction, spanProb: r.span_prob, regionProb: r.region_prob,
  readerAgree: r.reader_agree, readerScore: r.reader_score, readerMargin: r.reader_margin, tableRow: r.table_row,
});

/** The log field behind each feature that older logs lack (answered before the signal was recorded). */
const RECORDED_AS: Partial<Record<Feature, keyof QuestionRecord>> = { span_logit: 'span_prob', region_logit: 'span_prob', reader_agree: 'reader_agree', reader_score: 'reader_score', reader_margin: 'reader_margin', table_cell: 'table_row', table_row: 'table_row' };

/** The log fields a feature set reads that some of the records lack (empty: the records carry all it reads). */
export function missingSignals(features: readonly Feature[], records: QuestionRecord[]): string[] {
  const fields = [...new Set(features.map((f) => RECORDED_AS[f]).filter((x) => x !== undefined))];
  return fields.filter((field) => records.some((r) => r[field] === undefined));
}

/**
 * A run's answer records over `data` (its SQuAD-shaped question file), those logged before `table_row` was
 * recorded (53rd session) read as answers outside a table (null) where the data holds no table, as SQuAD's
 * paragraphs hold none: its reserved and validation records need no new answers. Over data with a table
 * they stay without it, and missingSignals names what to answer again.
 */
export function withTableRows(records: QuestionRecord[], data: string): QuestionRecord[] {
  if (records.every((r) => r.table_row !== undefined)) return records;
  if (tableParagraphs(data).length) return records;
  return records.map((r) => (r.table_row === undefined ? { ...r, table_row: null } : r));
}

/** The data a run answered (`npm run eval --out DIR` writes DIR.json). */
export const runData = (dir: string): string => JSON.parse(readFileSync(`${dir}.json`, 'utf8')).settings.data;

const withTables = new Map<string, SquadParagraph[]>();

/** A question file's paragraphs that hold a table (read once per file). */
function tableParagraphs(data: string): SquadParagraph[] {
  if (!withTables.has(data)) withTables.set(data, readSquad(data).filter((p) => tablesOf(p.context).length));
  return withTables.get(data)!;
}

/** The ids of a question file's questions whose paragraph holds a table. */
export const questionsInTables = (data: string): ReadonlySet<string> => new Set(tableParagraphs(data).flatMap((p) => p.qas.map((q) => q.id)));

/**
 * What the similarity gate compares for a logged answer: `relevance` (retrieval's best, as the service reads
 * it), or in logs written before it was recorded the best similarity among the passages read; +Infinity
 * without retrieval (nothing gated).
 */
export const gateEvidence = (r: QuestionRecord) => r.relevance ?? r.similarity ?? Infinity;

/** A note where some records predate `relevance` (their gate is read from `similarity`); null where all carry it. */
export function gateNote(records: QuestionRecord[]): string | null {
  const older = records.filter((r) => r.similarity != null && r.relevance === undefined).length;
  return older ? `${older} records predate \`relevance\`: their similarity gate reads the best passage read, not its sentences, and abstains more than the service does` : null;
}

/** Scores a mode's log with the calibration of `key`; null when the calibrator has no fit for it or the log lacks signals it reads. */
export function scoreRecords(calibrator: Calibrator, key: string, records: QuestionRecord[], similarityGate: number): Scored[] | null {
  if (!calibrator.has(key) || records.some((r) => (r.token_prob ?? r.confidence) === undefined)) return null;
  if (missingSignals(calibrator.features(key), records).length) return null;
  return records.map((r) => ({
    p: calibrator.probability(key, signalsOf(r))!,
    f1: r.f1,
    answerable: r.golds.length > 0,
    gated: gateEvidence(r) < similarityGate,
    ...(r.citation ? { citationCorrect: r.citation.correct, answerSpanCorrect: r.citation.answer_correct } : {}),
  }));
}

/** Expected calibration error: equal-width bins of p, |mean p - share right| weighted by the bin's size. */
export function ece(scored: Scored[], bins = 10): number {
  const groups = Array.from({ length: bins }, () => ({ p: 0, right: 0, n: 0 }));
  for (const s of scored) {
    const g = groups[Math.min(bins - 1, Math.floor(s.p * bins))];
    g.p += s.p;
    g.right += Number(isRight(s.f1));
    g.n++;
  }
  return groups.reduce((sum, g) => sum + (g.n ? Math.abs(g.p - g.right) : 0), 0) / Math.max(scored.length, 1);
}

/** Area under the ROC curve of p for "right" (ties count half): 0.5 is chance. */
export function auroc(scored: Scored[]): number | null {
  const sorted = [...scored].sort((a, b) => a.p - b.p);
  let rankSum = 0;
  let positives = 0;
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j < sorted.length && sorted[j].p === sorted[i].p) j++;
    const rank = (i + 1 + j) / 2; // mean 1-based rank of the tie group
    for (let k = i; k < j; k++) if (isRight(sorted[k].f1)) (rankSum += rank), positives++;
    i = j;
  }
  const negatives = sorted.length - positives;
  if (!positives || !negatives) return null;
  return (rankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}

const r3 = <T extends number | null>(x: T): T => (x === null ? x : Number(x.toFixed(3))) as T;

/** The 95% percentile interval of `stat` over bootstrap resamples of the questions (fixed seed); null when it is undefined on most. */
export function bootstrapInterval(scored: Scored[], stat: (xs: Scored[]) => number | null, resamples = 1000): [number, number] | null {
  const random = seededRandom();
  const values: number[] = [];
  for (let b = 0; b < resamples && scored.length; b++) {
    const value = stat(scored.map(() => scored[Math.floor(random() * scored.length)]));
    if (value !== null) values.push(value);
  }
  if (values.length < resamples / 2) return null;
  values.sort((x, y) => x - y);
  return [r3(values[Math.floor(0.025 * values.length)]), r3(values[Math.floor(0.975 * values.length)])];
}

/**
 * The ECE that a perfectly calibrated confidence would read on these questions (consistency resampling):
 * each question drawn right with its own p, the ECE of those draws; its median and 95th percentile. ECE
 * reads above 0 on any finite sample, and an ECE under the 95th percentile is within what chance gives.
 */
export function eceIfCalibrated(scored: Scored[], draws = 1000): { median: number; p95: number } | null {
  if (!scored.length) return null;
  const random = seededRandom();
  const values = Array.from({ length: draws }, () => ece(scored.map((s) => ({ ...s, f1: Number(random() < s.p) })))).sort((x, y) => x - y);
  return { median: r3(values[Math.floor(0.5 * draws)]), p95: r3(values[Math.floor(0.95 * draws)]) };
}

/** What abstaining below `threshold` does: shares answered, and F1 of the answered vs all answerable questions. */
const answeredAt = (s: Scored, threshold: number) => !s.gated && s.p >= threshold;

export function atThreshold(scored: Scored[], threshold: number) {
  const answered = (s: Scored) => answeredAt(s, threshold);
  const answerable = scored.filter((s) => s.answerable);
  const unanswerable = scored.filter((s) => !s.answerable);
  const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null);
  const f1Answered = mean(answerable.filter(answered).map((s) => s.f1));
  const f1All = mean(answerable.map((s) => s.f1));
  const r1 = (x: number | null) => (x === null ? null : Number((100 * x).toFixed(1)));
  /** The share of the answers given for which `check` holds, among those it says anything about. */
  const givenShare = (check: (s: Scored) => boolean | undefined) => r3(mean(scored.filter((s) => answered(s) && check(s) !== undefined).map((s) => Number(check(s)))));
  return {
    threshold: r3(threshold),
    answered: r3(mean(scored.map((s) => Number(answered(s))))),
    answerable_answered: r3(mean(answerable.map((s) => Number(answered(s))))),
    unanswerable_abstained: unanswerable.length ? r3(mean(unanswerable.map((s) => Number(!answered(s))))) : null,
    /** F1 points of the answerable questions answered, and of all answerable ones (an abstention scores 0 there). */
    f1_answered: r1(f1Answered),
    f1_answerable: r1(f1All),
    f1_ratio: f1Answered !== null && f1All ? r3(f1Answered / f1All) : null,
    /** Of the answers given with a citation, the share whose cited text lies in the gold paragraph and holds a gold answer. */
    citation_precision: givenShare((s) => s.citationCorrect),
    /** The same for the answer's own span (null for logs that cited the span itself). */
    answer_span_precision: givenShare((s) => s.answerSpanCorrect),
    /** SQuAD 2.0's own F1: an abstention on an unanswerable question scores 1, an answer to one 0. */
    squad2_f1: unanswerable.length ? r1(mean(scored.map((s) => (answered(s) ? (s.answerable ? s.f1 : 0) : Number(!s.answerable))))) : null,
  };
}

/** F1 of the answered share when only the most confident `coverage` of the answerable questions is answered (none where no question is answerable). */
export function riskCoverage(scored: Scored[], coverages = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1]) {
  const ranked = scored.filter((s) => s.answerable).sort((a, b) => b.p - a.p);
  if (!ranked.length) return [];
  return coverages.map((c) => {
    const top = ranked.slice(0, Math.max(1, Math.round(c * ranked.length)));
    return { coverage: c, threshold: Number(top[top.length - 1].p.toFixed(3)), f1: Number(((100 * top.reduce((s, x) => s + x.f1, 0)) / top.length).toFixed(1)) };
  });
}

/** How chooseThreshold picks, as calibration.json records it. */
export const THRESHOLD_RULE = 'max-min: the larger of min(share of answerable questions answered, share of unanswerable ones abstained on); ties: the larger sum';

/**
 * The default threshold: the one whose worse side is best, of the share of answerable questions answered
 * and the share of unanswerable ones abstained on (a user wants both high; ties go to the larger sum,
 * Youden's J); without unanswerable questions, 0 (never abstain on confidence).
 */
export function chooseThreshold(scored: Scored[]): number {
  if (!scored.some((s) => !s.answerable) || !scored.some((s) => s.answerable)) return 0;
  const share = (xs: Scored[], t: number) => xs.filter((s) => answeredAt(s, t)).length / xs.length;
  const answerable = scored.filter((s) => s.answerable);
  const unanswerable = scored.filter((s) => !s.answerable);
  let best = { t: 0, worse: -Infinity, sum: -Infinity };
  for (const t of [0, ...new Set(scored.map((s) => s.p))].sort((a, b) => a - b)) {
    const answered = share(answerable, t);
    const abstained = 1 - share(unanswerable, t);
    const worse = Math.min(answered, abstained);
    if (worse > best.worse || (worse === best.worse && answered + abstained > best.sum)) best = { t, worse, sum: answered + abstained };
  }
  return best.t;
}

/** Every figure of one mode's log: calibration (answerable questions), risk-coverage, and the default threshold's effect. */
export function selectiveSummary(scored: Scored[], threshold: number) {
  const answerable = scored.filter((s) => s.answerable);
  const a = auroc(answerable);
  return {
    // null where no question is answerable (a set of unanswerable questions alone): nothing to calibrate against
    ece: answerable.length ? Number(ece(answerable).toFixed(3)) : null,
    ece_if_calibrated: eceIfCalibrated(answerable),
    auroc: a === null ? null : Number(a.toFixed(3)),
    auroc_interval: bootstrapInterval(answerable, auroc),
    mean_confidence: answerable.length ? Number((answerable.reduce((s, x) => s + x.p, 0) / answerable.length).toFixed(3)) : null,
    share_right: answerable.length ? Number((answerable.filter((s) => isRight(s.f1)).length / answerable.length).toFixed(3)) : null,
    risk_coverage: riskCoverage(scored),
    at_default_threshold: atThreshold(scored, threshold),
  };
}
