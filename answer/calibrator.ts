import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { BundleError } from '../bundle/index.ts';

/**
 * Calibrated confidence: the probability that an answer is right (token F1 >= 0.5 against the gold),
 * from what the answer path already knows: how sure the LM was of its tokens, how similar the best
 * source was, how long the answer is, and (grounded answers) how much of the probability of every span
 * scored went to the span cited. One logistic model per answer mode (`rag+grounded` apart from
 * `rag`), fitted offline on reserved training questions by `npm run calibrate` and stored in the bundle
 * as calibration.json with the fit data's hash. Each mode also carries the threshold below which it
 * abstains by default (chosen on the same reserved questions, unanswerable ones included).
 */

/** What an answer tells about itself; all a calibrator reads. */
export interface AnswerSignals {
  /** Mean probability of the answer's tokens (the grounded span's, or the greedy choices'). */
  tokenProb: number;
  /** Cosine similarity of the best source read; null without retrieval (base, given passages). */
  similarity: number | null;
  answer: string;
  /** Grounded answers: the cited span's share of the probability of all spans scored, and that of the spans overlapping it (lm/generate.ts). */
  spanProb?: number | null;
  regionProb?: number | null;
  /** Token F1 of the answer against the bundle's reader's span of the same texts (grounded), or of the passage answered from (free text; answer/reader.ts). */
  readerAgree?: number | null;
  /** Grounded answers the reader proposed: its score for the span over no answer in its text; free text: that of its best span in the passage answered from (log-odds, answer/reader.ts). */
  readerScore?: number | null;
  /** Grounded answers the reader proposed: its score for the span over its text's best span outside it (log-odds, answer/reader.ts). */
  readerMargin?: number | null;
  /** Grounded answers that are a table's body cell: how well the row names the question (answer/table-cells.ts answerRow); null elsewhere. */
  tableRow?: number | null;
}

export const FEATURES = ['token_logit', 'similarity', 'log_words', 'span_logit', 'region_logit', 'reader_agree', 'reader_score', 'reader_margin', 'table_cell', 'table_row'] as const;
/** The features only a grounded answer has (lm/grounding.ts spanShares, answer/reader.ts, answer/table-cells.ts); answer logs from before them lack them. */
export const GROUNDED_FEATURES: readonly Feature[] = ['span_logit', 'region_logit', 'reader_margin', 'table_cell', 'table_row'];
/** The features that need the bundle's reader (reader.onnx): a calibration that reads them names the reader's hash. */
export const READER_FEATURES: readonly Feature[] = ['reader_agree', 'reader_score', 'reader_margin'];
/** What `npm run calibrate` fits unless told otherwise. */
export const DEFAULT_FEATURES: readonly Feature[] = ['token_logit', 'similarity', 'log_words'];
export type Feature = (typeof FEATURES)[number];

const clamp = (x: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, x));

const logit = (p: number) => {
  const q = clamp(p, 1e-4, 1 - 1e-4);
  return Math.log(q / (1 - q));
};

/**
 * An answer's features; a free-text answer (no span) reads as an even span share (logit 0). A table cell's
 * answer is told apart (`table_cell`, and its row's naming of the question, `table_row`), as the reader
 * scores right answers there far lower than in prose (docs/experiments.md, "Confidence for answers read from a table").
 */
export function featureValues(s: AnswerSignals): Record<Feature, number> {
  return {
    token_logit: logit(s.tokenProb),
    similarity: s.similarity ?? 0,
    log_words: Math.log1p(s.answer.split(/\s+/).filter(Boolean).length),
    span_logit: logit(s.spanProb ?? 0.5),
    region_logit: logit(s.regionProb ?? 0.5),
    reader_agree: s.readerAgree ?? 0,
    reader_score: s.readerScore ?? 0,
    reader_margin: s.readerMargin ?? 0,
    table_cell: s.tableRow == null ? 0 : 1,
    table_row: s.tableRow ?? 0,
  };
}

const modeSchema = z.object({
  features: z.array(z.enum(FEATURES)).min(1),
  mean: z.array(z.number()),
  std: z.array(z.number().positive()),
  coef: z.array(z.number()),
  intercept: z.number(),
  /** Abstain below this calibrated probability unless the server or request says otherwise. */
  threshold: z.number().min(0).max(1),
  /** Answerable fit questions, and how many of them the mode answered right. */
  n: z.number().int(),
  positives: z.number().int(),
}).refine((m) => [m.mean, m.std, m.coef].every((a) => a.length === m.features.length), 'mean, std and coef need one value per feature');
export type ModeCalibration = z.infer<typeof modeSchema>;

export const calibrationSchema = z.object({
  format: z.literal('mac-calibration'),
  version: z.literal(1),
  /** The bundle whose answers were fitted; another bundle's answers are not calibrated by it. */
  bundle_id: z.string(),
  /** SHA-256 of the bundle's reader.onnx, where a mode reads `reader_agree`: another reader's agreement is not calibrated by it. */
  reader_sha256: z.string().optional(),
  target: z.string(),
  /** Where the fit came from: command, data file and hash, articles, the answer settings of the run. */
  fit: z.record(z.string(), z.unknown()),
  modes: z.record(z.string(), modeSchema),
});
export type CalibrationFile = z.infer<typeof calibrationSchema>;

export const CALIBRATION_FILE = 'calibration.json';

export class Calibrator {
  constructor(readonly file: CalibrationFile) {}

  /**
   * The bundle's calibration.json, or null where it has none (confidence is then the raw token probability).
   * `readerSha256`: the reader the service proposes and checks grounded answers with (answer/reader.ts), null without one.
   */
  static load(bundleDir: string, bundleId: string, readerSha256: string | null): Calibrator | null {
    const path = join(bundleDir, CALIBRATION_FILE);
    if (!existsSync(path)) return null;
    const parsed = calibrationSchema.safeParse(JSON.parse(readFileSync(path, 'utf8')));
    if (!parsed.success) throw new BundleError(`${path} is not a calibration file: ${z.prettifyError(parsed.error)}. Refit it with \`npm run calibrate\` or delete it.`);
    if (parsed.data.bundle_id !== bundleId) {
      throw new BundleError(`${path} was fitted on the answers of bundle ${parsed.data.bundle_id}, not of this bundle (${bundleId}): ` +
        'refit it on this bundle (`npm run calibrate`, docs in results/README.md) or delete it to answer with uncalibrated confidence.');
    }
    const calibrator = new Calibrator(parsed.data);
    calibrator.checkReader(readerSha256, path);
    return calibrator;
  }

  /** Modes that read the reader's agreement need the reader they were fitted with in the bundle. */
  private checkReader(sha: string | null, path: string) {
    const readers = Object.entries(this.file.modes).filter(([, m]) => m.features.some((f) => READER_FEATURES.includes(f))).map(([key]) => key);
    if (!readers.length) return;
    const fix = 'Run `npm run setup` (it installs weights/reader-minilm.onnx into the bundle), or refit the calibration with this reader (`npm run calibrate`, results/README.md).';
    if (!this.file.reader_sha256) throw new BundleError(`${path} reads the reader's agreement (${readers.join(', ')}) but names no reader_sha256. ${fix}`);
    if (!sha) throw new BundleError(`${path} reads the reader's agreement (${readers.join(', ')}) but the bundle has no reader.onnx. ${fix}`);
    if (sha !== this.file.reader_sha256) {
      throw new BundleError(`${path} was fitted with the agreement of reader ${this.file.reader_sha256.slice(0, 12)}, but the bundle's reader.onnx is ${sha.slice(0, 12)}. ${fix}`);
    }
  }

  /** `rag+grounded`, `mac`, ...: the key a mode's calibration is stored under. */
  static key(mode: string, grounded: boolean): string {
    return grounded ? `${mode}+grounded` : mode;
  }

  has(key: string): boolean {
    return key in this.file.modes;
  }

  /** The features a mode's fit reads (empty for a mode without a fit). */
  features(key: string): readonly Feature[] {
    return this.file.modes[key]?.features ?? [];
  }

  threshold(key: string): number | null {
    return this.file.modes[key]?.threshold ?? null;
  }

  /** The probability that the answer is right; null for a mode without a fit. */
  probability(key: string, signals: AnswerSignals): number | null {
    const m = this.file.modes[key];
    if (!m) return null;
    const values = featureValues(signals);
    const z = m.features.reduce((s, f, i) => s + m.coef[i] * ((values[f] - m.mean[i]) / m.std[i]), m.intercept);
    return 1 / (1 + Math.exp(-z));
  }
}
