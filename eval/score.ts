import type { QuestionRecord } from './modes.ts';

export interface ModeSummary {
  n: number;
  /** Points: the mean over questions of 0/1 (EM) or token F1, × 100. */
  em: number;
  f1: number;
  /** Share of questions whose gold paragraph the LM read (null in base). */
  gold_in_context: number | null;
  median_ms: number;
  mean_prompt_tokens: number;
  mean_answer_words: number;
}

const points = (xs: number[]) => Number(((100 * xs.reduce((a, b) => a + b, 0)) / Math.max(xs.length, 1)).toFixed(1));

export function summarize(records: QuestionRecord[]): ModeSummary {
  const sorted = records.map((r) => r.ms).sort((a, b) => a - b);
  const withGold = records.filter((r) => r.gold_in_context !== null);
  const mean = (xs: number[]) => Number((xs.reduce((a, b) => a + b, 0) / Math.max(xs.length, 1)).toFixed(1));
  return {
    n: records.length,
    em: points(records.map((r) => r.em)),
    f1: points(records.map((r) => r.f1)),
    gold_in_context: withGold.length ? Number((withGold.filter((r) => r.gold_in_context).length / withGold.length).toFixed(3)) : null,
    median_ms: sorted.length ? sorted[Math.floor(sorted.length / 2)] : 0,
    mean_prompt_tokens: mean(records.map((r) => r.prompt_tokens)),
    mean_answer_words: mean(records.map((r) => r.prediction.split(/\s+/).filter(Boolean).length)),
  };
}
