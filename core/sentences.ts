import { BLOCK_LINE, FIELD, HEADING, lineStart, LIST_ITEM, TABLE_ROW } from './text-blocks.ts';

/**
 * Where a text's sentences begin and end: a grounded answer cites its sentence (answer/citation.ts), and
 * the similarity gate compares a question with each sentence of a passage (encoder, answer/candidates.ts).
 */

/** Short words that end in a full stop without ending a sentence ("Dr. Smith", "St. Louis"). */
const ABBREVIATIONS = new Set(['mr', 'mrs', 'ms', 'dr', 'st', 'jr', 'sr', 'prof', 'gen', 'col', 'lt', 'capt', 'sgt', 'mt', 'ft', 'rev', 'gov', 'sen', 'rep', 'vs', 'no']);

/**
 * Where a sentence may end: an end mark (with closing quotes or brackets) and the spaces after it, before a
 * capital, digit, opening quote or inline code, emphasis marks allowed first ("**Memories are"); a blank
 * line; a line break before a list item, heading or table row; any other line break (kept only after a
 * heading: elsewhere it is a wrapped line, as in hard-wrapped text and PDFs).
 */
const BOUNDARY = new RegExp(String.raw`([.!?]["'”’)\]]*)\s+(?=[*_]*[\p{Lu}\p{N}"'“‘(\[${'`'}])|\n[ \t]*\n\s*|\n(?=${BLOCK_LINE})\s*|(\n)\s*`, 'gu');

const HEADING_START = new RegExp(`^${HEADING}`);
const LIST_ITEM_LINE = new RegExp(`^${LIST_ITEM}`);
const FIELD_LINE = new RegExp(`^${FIELD}`, 'u');
const TABLE_ROW_LINE = new RegExp(`^${TABLE_ROW}`);

/** The word that ends just before `end` (the characters back to the last space). */
function wordBefore(text: string, end: number): string {
  let from = end;
  while (from > 0 && !/\s/.test(text[from - 1])) from--;
  return text.slice(from, end);
}

/** Where the text's sentences start after its first, each just past the spaces that end the one before. */
export function sentenceStarts(text: string): number[] {
  const starts: number[] = [];
  for (const m of text.matchAll(BOUNDARY)) {
    if (m[1] !== undefined) {
      const word = wordBefore(text, m.index! + 1).replace(/[.!?]$/, '').toLowerCase();
      // initials ("J.", "U.S.") and titles are not a sentence's end
      if (/^(?:\p{L}\.)*\p{L}$/u.test(word) || ABBREVIATIONS.has(word)) continue;
    }
    if (m[2] !== undefined && !HEADING_START.test(text.slice(lineStart(text, m.index!), m.index))) continue;
    starts.push(m.index! + m[0].length);
  }
  return starts;
}

/** The text's sentences, [start, end) without their surrounding spaces, empty ones left out. */
export function sentenceSpans(text: string): { start: number; end: number }[] {
  const bounds = [0, ...sentenceStarts(text), text.length];
  return bounds.slice(0, -1).flatMap((from, i) => {
    const part = text.slice(from, bounds[i + 1]);
    const lead = part.length - part.trimStart().length;
    const end = from + part.trimEnd().length;
    return end > from + lead ? [{ start: from + lead, end }] : [];
  });
}

/** The sentences a passage's similarity gate embeds one by one: none for a passage of one sentence, whose own embedding is its sentence's. */
export function sentencesToEmbed(text: string): { start: number; end: number }[] {
  const spans = sentenceSpans(text);
  return spans.length < 2 ? [] : spans;
}

/**
 * Where a line of structured text ends a sentence that no end mark closes (the offsets just past its last
 * character): a list item or a field line ending in a letter or digit, and a table row another line
 * follows. A reader trained on prose sees no line breaks, so there it reads a full stop the text does not
 * write (answer/reader.ts). A heading stays as written: read as a sentence of its own, its words became
 * answers (docs/experiments.md, "The reader sees where a list item ends").
 */
export function unmarkedEnds(text: string): number[] {
  return sentenceStarts(text).flatMap((start) => {
    const end = text.slice(0, start).trimEnd().length;
    const line = text.slice(lineStart(text, end), end);
    return TABLE_ROW_LINE.test(line) || ((LIST_ITEM_LINE.test(line) || FIELD_LINE.test(line)) && /[\p{L}\p{N}]$/u.test(line)) ? [end] : [];
  });
}
