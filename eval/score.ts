import type { QuestionRecord } from './modes.ts';

export interface ModeSummary {
  n: number;
  /** Questions with no answer in the passage (SQuAD 2.0): left out of EM and F1, scored by abstention (eval/selective.ts). */
  unanswerable?: number;
  /** Points: the mean over answerable questions of 0/1 (EM) or token F1, × 100. */
  em: number;
  f1: number;
  /** Share of questions whose gold paragraph the LM read (null in base). */
  gold_in_context: number | null;
  /** F1 (points) of the answerable questions whose gold paragraph the LM read, and of those it did not: where the rest of F1 is lost, reading or retrieval. */
  f1_gold_read: number | null;
  f1_gold_missed: number | null;
  median_ms: number;
  mean_prompt_tokens: number;
  /** Share of the prompt tokens the LM's prompt cache served, asked in this order (null: not recorded). */
  prompt_cached: number | null;
  mean_answer_words: number;
  /** Grounded modes: share of answers with a citation; of those, the share whose cited text lies in the gold paragraph and contains a gold answer, and the same for the answer's own span. */
  cited?: number;
  citation_precision?: number | null;
  answer_span_precision?: number | null;
}

const points = (xs: number[]) => Number(((100 * xs.reduce((a, b) => a + b, 0)) / Math.max(xs.length, 1)).toFixed(1));

export function summarize(records: QuestionRecord[]): ModeSummary {
  const sorted = records.map((r) => r.ms).sort((a, b) => a - b);
  const withGold = records.filter((r) => r.gold_in_context !== null);
  const answerable = records.filter((r) => r.golds.length);
  const mean = (xs: number[]) => Number((xs.reduce((a, b) => a + b, 0) / Math.max(xs.length, 1)).toFixed(1));
  return {
    n: records.length,
    ...(answerable.length < records.length ? { unanswerable: records.length - answerable.length } : {}),
    em: points(answerable.map((r) => r.em)),
    f1: points(answerable.map((r) => r.f1)),
    gold_in_context: withGold.length ? Number((withGold.filter((r) => r.gold_in_context).length / withGold.length).toFixed(3)) : null,
    ...f1ByGoldRead(answerable),
    median_ms: sorted.length ? sorted[Math.floor(sorted.length / 2)] : 0,
    mean_prompt_tokens: mean(records.map((r) => r.prompt_tokens)),
    prompt_cached: records.length && records.every((r) => r.cached_tokens !== undefined)
      ? Number((records.reduce((s, r) => s + r.cached_tokens!, 0) / Math.max(records.reduce((s, r) => s + r.prompt_tokens, 0), 1)).toFixed(3)) : null,
    mean_answer_words: mean(records.map((r) => r.prediction.split(/\s+/).filter(Boolean).length)),
    ...(records.some((r) => r.citation !== undefined) ? citationShares(records) : {}),
  };
}

function f1ByGoldRead(answerable: QuestionRecord[]) {
  const f1 = (read: boolean) => {
    const some = answerable.filter((r) => r.gold_in_context === read);
    return some.length ? points(some.map((r) => r.f1)) : null;
  };
  return { f1_gold_read: f1(true), f1_gold_missed: f1(false) };
}

function citationShares(records: QuestionRecord[]) {
  const cited = records.filter((r) => r.citation);
  const share = (k: number, n: number) => (n ? Number((k / n).toFixed(3)) : null);
  /** The share of the citations for which `check` holds, among those it says anything about. */
  const precision = (check: (c: NonNullable<QuestionRecord['citation']>) => boolean | undefined) => {
    const known = cited.filter((r) => check(r.citation!) !== undefined);
    return share(known.filter((r) => check(r.citation!)).length, known.length);
  };
  return { cited: share(cited.length, records.length) ?? 0, citation_precision: precision((c) => c.correct), answer_span_precision: precision((c) => c.answer_correct) };
}

/** Uniform numbers in [0, 1) from a fixed seed: resampling that gives the same figures on the same answers. */
export function seededRandom(seed = 12345): () => number {
  return () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
}

/**
 * Paired bootstrap of the mean F1 difference a - b over the same questions (points), the answerable ones
 * as F1 is (`summarize`): the 95% interval of 2,000 resamples, from a fixed seed so a rerun on the same
 * answers gives the same interval; `n` the questions paired.
 */
export function pairedDifference(a: QuestionRecord[], b: QuestionRecord[], resamples = 2000): { diff: number; low: number; high: number; n: number } {
  if (a.length !== b.length) throw new Error(`paired records differ in length: ${a.length} vs ${b.length}`);
  const d = a.flatMap((r, i) => (r.golds.length ? [100 * (r.f1 - b[i].f1)] : []));
  const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / Math.max(xs.length, 1);
  const random = seededRandom();
  const means = Array.from({ length: resamples }, () => mean(d.map(() => d[Math.floor(random() * d.length)]))).sort((x, y) => x - y);
  const r1 = (x: number) => Number(x.toFixed(1));
  return { diff: r1(mean(d)), low: r1(means[Math.floor(0.025 * resamples)]), high: r1(means[Math.floor(0.975 * resamples)]), n: d.length };
}
