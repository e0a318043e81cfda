import { sentenceStarts } from '../core/sentences.ts';
import { BLOCK_LINE, HEADING, lineStart, LIST_ITEM } from '../core/text-blocks.ts';

/**
 * BERT's pre-tokenizer: a word is a run of characters that are neither whitespace nor punctuation (Unicode
 * punctuation, and ASCII symbols), and every punctuation character is a word of its own. Tokenizing word by
 * word keeps each token's character offsets into the original text (the tokenizer's normalizer lowercases
 * and strips accents, so its output does not map back by position).
 */
export const WORD = /[\p{P}!-/:-@[-`{-~]|[^\s\p{P}!-/:-@[-`{-~]+/gu;

/** A word of a text the reader reads: its character offsets. */
export interface Word {
  start: number;
  end: number;
}

/** The text's words (WORD), with their character offsets. */
export const wordsOf = (text: string): Word[] => [...text.matchAll(WORD)].map((m) => ({ start: m.index, end: m.index + m[0].length }));

/**
 * Which word ranges may be an answer in structured text (Markdown, wiki pages, tickets), as a test on the
 * first and last word's indices `i <= j`:
 * - it lies in one block: it crosses no blank line, no line break before a list item, heading or table row,
 *   and none after a heading ("Maritime Museum\n\nThe Maritime Museum" is not an answer);
 * - it lies in one sentence (core/sentences.ts, the sentences a citation cites): "Ines, Rafael, Joana,
 *   Pedro. Rafael" is not an answer, "Dr. Tomas Okafor of the U.S. Army" is;
 * - it lies in one table cell: it holds no cell border, a "|" with a space or the line's edge beside it
 *   ("| Saturday | 10:00-14:00 |": an answer is one cell; "sm|rg" is a word);
 * - it lies in one column of text laid out with spaces (a code block's listing, a plain-text table): it
 *   crosses no tab and no run of three or more spaces inside a line ("memory/       SQLite memory bank");
 *   prose's occasional double space does not count, nor does a line's indentation;
 * - it starts and ends on no inline Markdown mark: a backtick, an underscore, or a doubled "*" ("in 4 bits**";
 *   a single one stays: "Grade II*", "*kwon-"); nor does it start on a heading's "#" ("# Setup"; "#1" stays)
 *   or a list item's marker ("- Miguel", "2. Open Settings": "Miguel", "Open Settings");
 * - its `code` and **strong** text are whole: a range that starts inside either holds none of its marks, and
 *   one that starts outside holds them in pairs, so "8`, `16" (from "`8`, `16`") and "in 4 bits** (q4)" are not
 *   answers while "8" and "in 4 bits" are. Marks are paired line by line.
 * Words are single punctuation characters or runs of other characters, so a mark is a word of its own.
 */
export function spanRule(text: string, words: Word[]): (i: number, j: number) => boolean {
  const word = (w: Word) => text.slice(w.start, w.end);
  const edge = (c: string | undefined) => c === undefined || /\s/.test(c);
  const doubled = (w: Word) => text[w.start - 1] === text[w.start] || text[w.end] === text[w.start];
  const borders = prefixCounts(words.map((w) => word(w) === '|' && (edge(text[w.start - 1]) || edge(text[w.end]))));
  const code = paired(text, words, (w) => word(w) === '`');
  // a run of two or more "*" or "_" is one mark: its first character
  const strong = paired(text, words, (w) => (word(w) === '*' || word(w) === '_') && doubled(w) && text[w.start - 1] !== text[w.start]);
  const mark = words.map((w) => word(w) === '`' || word(w) === '_' || (word(w) === '*' && doubled(w)));
  // a heading's "#": one of the marks that open a heading line (HEADING); a list item's marker, the words of its opening (LIST_ITEM)
  const heading = words.map((w) => word(w) === '#' && opens(HEADING_START, text, w));
  const item = words.map((w) => opens(LIST_ITEM_START, text, w));
  // blockStarts[k]: blocks begun up to word k (a block break lies between word k - 1 and word k); columns[k]: the same for column gaps
  const blockStarts = prefixCounts(words.map((w, k) => k > 0 && blockBreak(text, words[k - 1].end, w.start)));
  const columns = prefixCounts(words.map((w, k) => k > 0 && columnBreak(text.slice(words[k - 1].end, w.start))));
  // sentences[k]: sentences begun up to word k (a sentence starts between word k - 1's end and word k's end)
  const starts = sentenceStarts(text);
  const sentences = prefixCounts(words.map((w, k) => k > 0 && starts.some((s) => s > words[k - 1].end && s <= w.start)));
  return (i, j) =>
    blockStarts[j + 1] === blockStarts[i + 1] && columns[j + 1] === columns[i + 1] && sentences[j + 1] === sentences[i + 1] && borders[j + 1] === borders[i] &&
    !mark[i] && !mark[j] && !heading[i] && !item[i] && code(i, j) && strong(i, j);
}

const BLOCK_START = new RegExp(BLOCK_LINE, 'yu');
/** A tab, or three spaces or more (no-break spaces too). */
const COLUMN_GAP = /\t|[ \u00a0]{3,}/;
const HEADING_START = new RegExp(HEADING, 'y');
const LIST_ITEM_START = new RegExp(LIST_ITEM, 'y');

/** Whether a gap between two words parts columns: a tab or three spaces or more, inside a line. */
function columnBreak(gap: string): boolean {
  return !gap.includes('\n') && COLUMN_GAP.test(gap);
}

/** Whether the gap [from, to) between two words ends a block: a blank line, or a line break before a block line or after a heading. */
function blockBreak(text: string, from: number, to: number): boolean {
  const gap = text.slice(from, to);
  if (!gap.includes('\n')) return false;
  if (/\n[ \t]*\n/.test(gap)) return true;
  return matchesAt(BLOCK_START, text, from + gap.lastIndexOf('\n') + 1) || matchesAt(HEADING_START, text, lineStart(text, from));
}

/** Whether the sticky `re` matches `text` at offset `at` (its lastIndex is then where the match ends). */
function matchesAt(re: RegExp, text: string, at: number): boolean {
  re.lastIndex = at;
  return re.test(text);
}

/** Whether word `w` lies in the opening the sticky `re` matches at the start of its line (a heading's marks, a list item's marker). */
function opens(re: RegExp, text: string, w: Word): boolean {
  return matchesAt(re, text, lineStart(text, w.start)) && w.start < re.lastIndex;
}

/** counts[k]: how many of the first k flags are set. */
function prefixCounts(flags: boolean[]): number[] {
  const counts = [0];
  for (const f of flags) counts.push(counts[counts.length - 1] + Number(f));
  return counts;
}

/**
 * For a mark that opens and closes (a backtick, a "**"), paired line by line: whether a range of words is
 * whole, holding none of the marks if it starts between an opening and its close, else an even number.
 */
function paired(text: string, words: Word[], isMark: (w: Word) => boolean): (i: number, j: number) => boolean {
  const marks = words.map(isMark);
  const counts = prefixCounts(marks);
  const inside: boolean[] = [];
  let open = false;
  words.forEach((w, k) => {
    if (k && text.slice(words[k - 1].end, w.start).includes('\n')) open = false;
    inside.push(open);
    if (marks[k]) open = !open;
  });
  return (i, j) => {
    const n = counts[j + 1] - counts[i];
    return n === 0 || (!inside[i] && n % 2 === 0);
  };
}
