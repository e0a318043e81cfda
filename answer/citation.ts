import { sentenceStarts } from '../core/sentences.ts';
import { lineStart } from '../core/text-blocks.ts';

/**
 * What a grounded answer cites: the sentence of the stored passage that holds the answer's span, with the
 * span's own offsets inside it, so a client can show the evidence and highlight the answer in it.
 */

/**
 * A citation longer than this (a table or list without end marks) is narrowed to the lines holding the
 * answer, and a line still longer to the words around it.
 */
export const MAX_CITATION_CHARS = 600;

/** The sentence (or run of sentences) of `text` around the span [start, end), without its surrounding spaces. */
export function sentenceAround(text: string, start: number, end: number): { start: number; end: number } {
  const starts = sentenceStarts(text);
  let lo = Math.max(0, ...starts.filter((s) => s <= start));
  let hi = Math.min(text.length, ...starts.filter((s) => s >= end));
  if (hi - lo > MAX_CITATION_CHARS) {
    lo = Math.max(lo, lineStart(text, start));
    const lineEnd = text.indexOf('\n', end);
    hi = Math.min(hi, lineEnd < 0 ? text.length : lineEnd);
  }
  if (hi - lo > MAX_CITATION_CHARS) {
    // one long line: whole words around the answer, half the room the limit leaves on each side (more on
    // one side where the other has less)
    const room = Math.max(0, MAX_CITATION_CHARS - (end - start));
    const left = Math.min(start - lo, Math.max(Math.floor(room / 2), room - (hi - end)));
    if (start - left > lo) lo = wordStartAfter(text, start - left, start);
    if (end + room - left < hi) hi = wordEndBefore(text, end + room - left, end);
  }
  const cited = text.slice(lo, hi);
  const lead = cited.length - cited.trimStart().length;
  return { start: lo + lead, end: lo + cited.trimEnd().length };
}

/** The first word start at or after `at` (not past `limit`: the answer's own start). */
function wordStartAfter(text: string, at: number, limit: number): number {
  while (at < limit && at > 0 && !/\s/.test(text[at - 1])) at++;
  return at;
}

/** The last word end at or before `at` (not before `limit`: the answer's own end). */
function wordEndBefore(text: string, at: number, limit: number): number {
  while (at > limit && at < text.length && !/\s/.test(text[at])) at--;
  return at;
}
