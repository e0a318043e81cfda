import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CALIBRATION_FILE, Calibrator, type CalibrationFile } from '../answer/calibrator.ts';
import { READER_FILE, readerSha256 } from '../answer/reader.ts';
import { BundleError } from '../bundle/index.ts';
import { fitLogistic, sigmoid } from './logistic.ts';
import type { QuestionRecord } from './modes.ts';
import { seededRandom } from './score.ts';
import { atThreshold, auroc, bootstrapInterval, chooseThreshold, ece, eceIfCalibrated, gateEvidence, riskCoverage, scoreRecords, withTableRows, type Scored } from './selective.ts';

const s = (p: number, f1: number, answerable = true, gated = false): Scored => ({ p, f1, answerable, gated });

describe('logistic fit', () => {
  it('recovers the weights that generated the labels', () => {
    const random = seededRandom(7);
    const rows = Array.from({ length: 4000 }, () => [random() * 4 - 2, random() * 4 - 2]);
    const labels = rows.map(([a, b]) => Number(random() < sigmoid(2 * a - b + 0.5)));
    const fit = fitLogistic(rows, labels, 0);
    // back from standardised features to the raw ones
    const coef = fit.coef.map((c, j) => c / fit.std[j]);
    expect(coef[0]).toBeCloseTo(2, 0);
    expect(coef[1]).toBeCloseTo(-1, 0);
    expect(fit.intercept - fit.coef.reduce((t, c, j) => t + (c * fit.mean[j]) / fit.std[j], 0)).toBeCloseTo(0.5, 0);
  });
});

describe('the similarity gate read from a log', () => {
  it('compares retrieval\'s best (relevance), or in older logs the best passage read', () => {
    const r = { similarity: 0.25, relevance: 0.34 } as QuestionRecord;
    expect(gateEvidence(r)).toBe(0.34);
    expect(gateEvidence({ similarity: 0.25 } as QuestionRecord)).toBe(0.25);
    expect(gateEvidence({ similarity: null, relevance: null } as QuestionRecord)).toBe(Infinity); // base: nothing to gate
  });
});

describe('selective answering measures', () => {
  it('AUROC is 1 for a perfect ranking, 0.5 for ties, and counts half for tied pairs', () => {
    expect(auroc([s(0.9, 1), s(0.8, 1), s(0.2, 0), s(0.1, 0)])).toBe(1);
    expect(auroc([s(0.5, 1), s(0.5, 0)])).toBe(0.5);
    expect(auroc([s(0.9, 1), s(0.5, 0), s(0.5, 1)])).toBe(0.75);
    expect(auroc([s(0.9, 1)])).toBeNull();
  });

  it('ECE is 0 when each bin right share equals its mean probability, and the gap otherwise', () => {
    expect(ece([s(0.25, 1), s(0.25, 0), s(0.25, 0), s(0.25, 0)])).toBe(0);
    expect(ece([s(0.95, 0), s(0.95, 0)])).toBeCloseTo(0.95);
  });

  it('bootstrap intervals hold the figure and narrow with more questions; chance alone reads an ECE above 0', () => {
    const random = seededRandom(3);
    // a perfectly calibrated confidence: each answer right with its own p
    const sample = (n: number) => Array.from({ length: n }, () => { const p = random(); return s(p, Number(random() < p)); });
    const small = sample(100), large = sample(2000);
    const [low, high] = bootstrapInterval(small, auroc)!;
    expect(low).toBeLessThan(auroc(small)!);
    expect(high).toBeGreaterThan(auroc(small)!);
    const width = (r: [number, number] | null) => r![1] - r![0];
    expect(width(bootstrapInterval(large, auroc))).toBeLessThan(width([low, high]) / 2);
    expect(bootstrapInterval([s(0.9, 1), s(0.8, 1)], auroc)).toBeNull(); // never both kinds in a resample
    // chance: above 0, shrinking with n; this calibrated sample reads under its 95th percentile, a confident wrong one far over
    const chance = eceIfCalibrated(small)!;
    expect(chance.median).toBeGreaterThan(0.02);
    expect(eceIfCalibrated(large)!.p95).toBeLessThan(chance.median);
    expect(ece(large)).toBeLessThan(eceIfCalibrated(large)!.p95);
    const overconfident = large.map((x) => ({ ...x, p: Math.min(0.99, x.p + 0.2) }));
    expect(ece(overconfident)).toBeGreaterThan(2 * eceIfCalibrated(overconfident)!.p95);
  });

  it('abstaining below a threshold trades coverage for the F1 of what is answered', () => {
    const scored = [s(0.9, 1), s(0.6, 0.5), s(0.3, 0), s(0.2, 0), s(0.1, 0, false), s(0.8, 0, false), s(0.95, 1, true, true)];
    const at = atThreshold(scored, 0.5);
    expect(at.answerable_answered).toBe(0.4); // 0.9 and 0.6 of 5 (the gated one never answers)
    expect(at.unanswerable_abstained).toBe(0.5);
    expect(at.f1_answered).toBe(75);
    expect(at.f1_answerable).toBe(50);
    expect(at.f1_ratio).toBe(1.5);
    // SQuAD 2.0 F1: answered answerable 1 + 0.5, the abstained unanswerable 1, over 7
    expect(at.squad2_f1).toBe(35.7);
    expect(riskCoverage(scored, [0.2, 1]).map((p) => p.f1)).toEqual([100, 50]);
    // a set of unanswerable questions alone has no curve (and no crash)
    expect(riskCoverage(scored.filter((x) => !x.answerable))).toEqual([]);
  });

  it('chooses the threshold that best separates answerable from unanswerable questions', () => {
    const scored = [s(0.9, 1), s(0.7, 0), s(0.6, 0), s(0.4, 0, false), s(0.3, 0, false), s(0.65, 0, false)];
    expect(chooseThreshold(scored)).toBe(0.6);
    expect(chooseThreshold([s(0.9, 1), s(0.1, 0)])).toBe(0); // no unanswerable questions: never abstain
  });

  it('prefers the threshold whose worse side is best over the best sum', () => {
    const answerable = [0.9, 0.8, 0.3, 0.2, 0.1].map((p) => s(p, 1));
    const unanswerable = [0.25, 0.15, 0.05].map((p) => s(p, 0, false));
    // at 0.3: 60% answered, 100% abstained (sum best); at 0.2: 80% answered, 67% abstained (worse side best)
    expect(chooseThreshold([...answerable, ...unanswerable])).toBe(0.2);
  });
});

describe('calibrator', () => {
  const file: CalibrationFile = {
    format: 'mac-calibration', version: 1, bundle_id: 'b-1', target: 'F1 >= 0.5', fit: {},
    modes: { 'rag+grounded': { features: ['token_logit', 'log_words'], mean: [0, 1], std: [1, 1], coef: [1, -1], intercept: 0.5, threshold: 0.3, n: 10, positives: 3 } },
  };

  it('scores an answer from its token probability and length, per mode', () => {
    const c = new Calibrator(file);
    // token_logit = logit(0.5) = 0; log_words = log1p(1 word)
    const p = c.probability('rag+grounded', { tokenProb: 0.5, similarity: 0.7, answer: 'Paris' })!;
    expect(p).toBeCloseTo(sigmoid(0.5 - (Math.log(2) - 1)), 6);
    expect(c.probability('rag', { tokenProb: 0.5, similarity: 0.7, answer: 'Paris' })).toBeNull();
    expect(c.threshold('rag+grounded')).toBe(0.3);
    expect(Calibrator.key('rag', true)).toBe('rag+grounded');
  });

  it('reads the span share of a grounded answer as a logit, and a free answer\'s as even', () => {
    const spanFile: CalibrationFile = { ...file, modes: { 'rag+grounded': { ...file.modes['rag+grounded'], features: ['span_logit'], mean: [0], std: [1], coef: [1], intercept: 0 } } };
    const c = new Calibrator(spanFile);
    const signals = { tokenProb: 0.5, similarity: 0.7, answer: 'Paris' };
    expect(c.probability('rag+grounded', { ...signals, spanProb: 0.8 })).toBeCloseTo(0.8, 6);
    expect(c.probability('rag+grounded', { ...signals, spanProb: null })).toBeCloseTo(0.5, 6);
    // a log written before the span shares were recorded is not scored by a fit that reads them
    const record = { id: 'q', question: 'Where?', golds: ['Paris'], prediction: 'Paris', em: 1, f1: 1, ms: 1, prompt_tokens: 1, gold_in_context: true, sources: [], token_prob: 0.5, similarity: 0.7 } as QuestionRecord;
    expect(scoreRecords(c, 'rag+grounded', [record], 0.3)).toBeNull();
    expect(scoreRecords(c, 'rag+grounded', [{ ...record, span_prob: 0.8, region_prob: 0.9 }], 0.3)![0].p).toBeCloseTo(0.8, 6);
  });

  it('tells a table cell\'s answer apart, and reads an old log as outside a table only for data without one', () => {
    const tableFile: CalibrationFile = { ...file, modes: { 'rag+grounded': { ...file.modes['rag+grounded'], features: ['table_cell', 'table_row'], mean: [0, 0], std: [1, 1], coef: [1, 2], intercept: 0 } } };
    const c = new Calibrator(tableFile);
    const signals = { tokenProb: 0.5, similarity: 0.7, answer: '29 dollars' };
    expect(c.probability('rag+grounded', { ...signals, tableRow: null })).toBeCloseTo(0.5, 6);
    expect(c.probability('rag+grounded', { ...signals, tableRow: 0 })).toBeCloseTo(sigmoid(1), 6);
    expect(c.probability('rag+grounded', { ...signals, tableRow: 0.5 })).toBeCloseTo(sigmoid(2), 6);
    const dir = mkdtempSync(join(tmpdir(), 'table-rows-'));
    const data = (name: string, context: string) => {
      writeFileSync(join(dir, name), JSON.stringify({ id: name, title: 't', context, qas: [] }) + '\n');
      return join(dir, name);
    };
    const prose = data('prose.jsonl', 'Paris is the capital of France.');
    const table = data('table.jsonl', '| plan | price |\n|---|---|\n| Team | 29 dollars |\n');
    const old = { id: 'q', question: 'Where?', golds: ['Paris'], prediction: 'Paris', em: 1, f1: 1, ms: 1, prompt_tokens: 1, gold_in_context: true, sources: [], token_prob: 0.5, similarity: 0.7 } as QuestionRecord;
    expect(scoreRecords(c, 'rag+grounded', withTableRows([old], prose), 0.3)![0].p).toBeCloseTo(0.5, 6);
    expect(scoreRecords(c, 'rag+grounded', withTableRows([old], table), 0.3)).toBeNull();
    expect(scoreRecords(c, 'rag+grounded', withTableRows([{ ...old, table_row: 0.5 }], table), 0.3)![0].p).toBeCloseTo(sigmoid(2), 6);
  });

  it('refuses a calibration fitted on another bundle, saying how to fix it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'calibration-'));
    expect(Calibrator.load(dir, 'b-1', null)).toBeNull();
    writeFileSync(join(dir, CALIBRATION_FILE), JSON.stringify(file));
    expect(Calibrator.load(dir, 'b-1', null)!.has('rag+grounded')).toBe(true);
    expect(() => Calibrator.load(dir, 'b-2', null)).toThrow(BundleError);
    expect(() => Calibrator.load(dir, 'b-2', null)).toThrow(/npm run calibrate/);
    writeFileSync(join(dir, CALIBRATION_FILE), JSON.stringify({ ...file, modes: { x: { features: ['nope'] } } }));
    expect(() => Calibrator.load(dir, 'b-1', null)).toThrow(/not a calibration file/);
  });

  it('needs the reader a calibration reading its agreement was fitted with, in the bundle', () => {
    const dir = mkdtempSync(join(tmpdir(), 'calibration-'));
    const reading: CalibrationFile = { ...file, modes: { 'rag+grounded': { ...file.modes['rag+grounded'], features: ['reader_agree'], mean: [0.5], std: [0.5], coef: [2], intercept: -1 } } };
    const reader = Buffer.from('a reader');
    const sha = createHash('sha256').update(reader).digest('hex');
    writeFileSync(join(dir, CALIBRATION_FILE), JSON.stringify({ ...reading, reader_sha256: sha }));
    expect(() => Calibrator.load(dir, 'b-1', readerSha256(dir))).toThrow(/no reader\.onnx.*npm run setup/);
    writeFileSync(join(dir, READER_FILE), 'another reader');
    expect(() => Calibrator.load(dir, 'b-1', readerSha256(dir))).toThrow(/fitted with the agreement of reader/);
    writeFileSync(join(dir, READER_FILE), reader);
    const c = Calibrator.load(dir, 'b-1', readerSha256(dir))!;
    // reader_agree enters as it is: (1 - 0.5) / 0.5 * 2 - 1 = 1; an answer the reader did not check reads as 0
    expect(c.probability('rag+grounded', { tokenProb: 0.5, similarity: 0.7, answer: 'Paris', readerAgree: 1 })).toBeCloseTo(sigmoid(1), 6);
    expect(c.probability('rag+grounded', { tokenProb: 0.5, similarity: 0.7, answer: 'Paris' })).toBeCloseTo(sigmoid(-3), 6);
    writeFileSync(join(dir, CALIBRATION_FILE), JSON.stringify(reading));
    expect(() => Calibrator.load(dir, 'b-1', readerSha256(dir))).toThrow(/names no reader_sha256/);
  });
});
