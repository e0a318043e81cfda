/**
 * What a grounded answer cites: the sentence of the stored passage that holds the answer's span, with the
 * span's own offsets inside it, so a client can show the evidence and highlight the answer in it.
 */

/** Short words that end in a full stop without ending a sentence ("Dr. Smith", "St. Louis"). */
const ABBREVIATIONS = new Set(['mr', 'mrs', 'ms', 'dr', 'st', 'jr', 'sr', 'prof', 'gen', 'col', 'lt', 'capt', 'sgt', 'mt', 'ft', 'rev', 'gov', 'sen', 'rep', 'vs', 'no']);

/** An end mark (with closing quotes or brackets) and the spaces after it, before a capital, digit or opening quote; or a line break. */
const BOUNDARY = /([.!?]["'”’)\]]*)\s+(?=[\p{Lu}\p{N}"'“‘(\[])|\n\s*/gu;

/** Where the text's sentences start after its first, each just past the spaces that end the one before. */
export function sentenceStarts(text: string): number[] {
  const starts: number[] = [];
  for (const m of text.matchAll(BOUNDARY)) {
    if (m[1] !== undefined) {
      const word = text.slice(0, m.index! + 1).match(/(\S+)$/)![1].replace(/[.!?]$/, '').toLowerCase();
      // initials ("J.", "U.S.") and titles are not a sentence's end
      if (/^(?:\p{L}\.)*\p{L}$/u.test(word) || ABBREVIATIONS.has(word)) continue;
    }
    starts.push(m.index! + m[0].length);
  }
  return starts;
}

/** The sentence (or run of sentences) of `text` around the span [start, end), without its surrounding spaces. */
export function sentenceAround(text: string, start: number, end: number): { start: number; end: number } {
  const starts = sentenceStarts(text);
  const lo = Math.max(0, ...starts.filter((s) => s <= start));
  const hi = Math.min(text.length, ...starts.filter((s) => s >= end));
  const cited = text.slice(lo, hi);
  const lead = cited.length - cited.trimStart().length;
  return { start: lo + lead, end: lo + cited.trimEnd().length };
}
