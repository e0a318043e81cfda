/** Where a grounded answer lies: which text, and its character offsets there. */
export interface Span {
  text: number;
  start: number;
  end: number;
}

/** Grounded answers: copied from these texts (the passages the answer path read). */
export interface Grounding {
  texts: string[];
  /**
   * Added to the log-probability of stopping after a span: above 0 favours shorter answers, below 0
   * longer ones. Tuned on training questions (docs/experiments.md).
   */
  stopBias: number;
  /**
   * Where a second reader proposes the spans (answer/reader.ts), only those are read: the answer is the one
   * whose reader score plus lmWeight x the LM's length-normalised log-probability is best.
   */
  proposals?: { spans: Proposal[]; lmWeight: number };
}

/** A span a second reader proposes, with its score (log-odds over its text's no-answer score). */
export interface Proposal extends Span {
  score: number;
}

/** A place an answer may start, and where it may end (after 1, 2, ... words). */
export interface SpanStart {
  text: number;
  start: number;
  ends: number[];
}

/** The longest answer span considered, in words. */
export const MAX_SPAN_WORDS = 10;

const WORD = /[\p{L}\p{N}$£€]/u;
const TRAILING = /[\s,.;:!?)\]}"'”’»]+$/u;

/**
 * Every word start in the texts, with the ends of the spans of 1..MAX_SPAN_WORDS words from it (trailing
 * punctuation left out, so "1943," ends at "1943"; a span does not run past the end of its sentence).
 */
export function spanStarts(texts: string[]): SpanStart[] {
  const starts: SpanStart[] = [];
  texts.forEach((text, t) => {
    const words = [...text.matchAll(/\S+/g)].map((m) => {
      const lead = m[0].search(WORD);
      const start = m.index! + Math.max(lead, 0);
      return { start, end: m.index! + m[0].replace(TRAILING, '').length, sentenceEnd: /[.!?]["'”’)]*$/u.test(m[0]), word: lead >= 0 };
    });
    words.forEach((w, i) => {
      if (!w.word) return;
      const ends: number[] = [];
      for (let j = i; j < words.length && ends.length < MAX_SPAN_WORDS; j++) {
        if (words[j].end > w.start) ends.push(words[j].end);
        if (words[j].sentenceEnd) break;
      }
      if (ends.length) starts.push({ text: t, start: w.start, ends: [...new Set(ends)] });
    });
  });
  return starts;
}

/** A grounded answer's certainty: the chosen span's share of the probability of every span scored, and the share of those overlapping it. */
export interface SpanShare {
  span: number;
  overlapping: number;
}

/** The chosen span's share of the scored spans' probability, and the share of the spans overlapping it. */
export function spanShares(scored: { span: Span; logp: number }[], chosen: Span): SpanShare {
  const total = logSumExp(scored.map((c) => c.logp));
  const share = (cs: { logp: number }[]) => cs.reduce((sum, c) => sum + Math.exp(c.logp - total), 0);
  const same = (s: Span) => s.text === chosen.text && s.start === chosen.start && s.end === chosen.end;
  const overlaps = (s: Span) => s.text === chosen.text && s.start < chosen.end && s.end > chosen.start;
  return { span: share(scored.filter((c) => same(c.span))), overlapping: share(scored.filter((c) => overlaps(c.span))) };
}

export const logSumExp = (xs: number[]) => {
  const max = Math.max(...xs);
  return max + Math.log(xs.reduce((s, x) => s + Math.exp(x - max), 0));
};
