import { tablesOf } from '../core/tables.ts';
import { BLOCK_LINE, HEADING } from '../core/text-blocks.ts';
import type { Encoder } from './types.ts';

/** A document's passages as `encoder` takes them: what the ingestion worker encodes. */
export function splitForEncoder(text: string, encoder: Pick<Encoder, 'countTokens' | 'maxPassageTokens'>): string[] {
  return splitPassages(text, (s) => encoder.countTokens(s), encoder.maxPassageTokens);
}

/**
 * Where a unit of a paragraph ends: after . ! ? and the spaces that follow; before a list item, a heading,
 * a table row or a field line after another; after a heading line. Any other line break is a wrapped line,
 * read through. (The heading's look back starts at the line break: one that started at every character
 * read its whole line back from each, and a page with long lines took minutes to split.)
 */
const UNIT_END = new RegExp(String.raw`(?<=[.!?])\s+|\n(?=${BLOCK_LINE})\s*|\n(?<=^${HEADING}[^\n]*\n)\s*`, 'gmu');

interface Range {
  start: number;
  end: number;
}

/**
 * Splits a document into passages that fit the sentence encoder (`maxTokens - 2` encoder tokens: [CLS] and
 * [SEP] take two). Each paragraph (text between blank lines) is a passage of its own: a passage about one
 * thing is what a question's embedding finds and what a memory's 64 positions can hold. Only a passage
 * shorter than `JOIN_BELOW` tokens (a heading, a dateline) takes the next paragraph in, where both fit. A
 * paragraph longer than a passage is cut into its units (sentences, and the blocks, list items, headings and
 * table rows of structured text), packed greedily; a unit still too long is cut at its line breaks, then
 * between words, and a word no passage holds (a blob, text written without spaces) into pieces of
 * characters. A passage is a slice of the text, its line breaks kept, so a citation into it can follow the
 * document's lines (answer/citation.ts); only a passage that starts inside a Markdown table begins with the
 * table's header and delimiter rows (`tableHeads`). Measured against packing across paragraphs:
 * docs/experiments.md, "Whole articles as documents"; the header: "A table longer than a passage".
 */
export function splitPassages(text: string, countTokens: (s: string) => number, maxTokens: number): string[] {
  const budget = maxTokens - 2;
  const heads = tableHeads(text, countTokens, budget);
  const passageText = (r: Range) => (heads.get(r.start) ?? '') + text.slice(r.start, r.end);
  const fits = (r: Range) => {
    const passage = passageText(r);
    return passage.length <= budget * PASSAGE_CHARS_PER_TOKEN && countTokens(passage) <= budget;
  };
  // The last cut, for a word no passage holds (a blob, or text written without spaces): pieces of `budget`
  // characters, each a passage's worth of tokens at most (a token holds a character at least).
  const characters = new RegExp(String.raw`[\s\S]{1,${budget}}`, 'gu');
  const passages: Range[] = [];
  let current: Range | null = null;
  const close = () => {
    if (current) passages.push(current);
    current = null;
  };
  /**
   * Packs `parts` after the passage being built, each passage taking as many whole parts as fit. A part
   * that fits no passage is cut into the pieces of `cuts[0]` (its lines, then their words), packed the same
   * way; one that cannot be cut is kept whole.
   */
  const pack = (parts: Range[], cuts: RegExp[]) => {
    for (let i = 0; i < parts.length; i++) {
      if (current && fits({ start: current.start, end: parts[i].end })) {
        const from: number = current.start;
        i = lastFitting(parts, i, (j) => fits({ start: from, end: parts[j].end }));
        current = { start: from, end: parts[i].end };
        continue;
      }
      close();
      if (fits(parts[i]) || !cuts.length) current = parts[i];
      else pack(pieces(text, parts[i], cuts[0]), cuts.slice(1));
    }
  };
  for (const paragraph of pieces(text, { start: 0, end: text.length }, PARAGRAPH_BODY)) {
    // A heading or dateline before the paragraph takes it in.
    const joined: Range | null = current && countTokens(text.slice(current.start, current.end)) < JOIN_BELOW ? { start: current.start, end: paragraph.end } : null;
    if (joined && fits(joined)) {
      current = joined;
      continue;
    }
    close();
    if (fits(paragraph)) current = paragraph;
    else {
      pack(units(text, paragraph), [/[^\n]+/g, /\S+/g, characters]);
      close();
    }
  }
  close();
  return passages.map(passageText);
}

/**
 * What a passage starting at a table's body row begins with: the table's header row and delimiter row, so
 * that the rows after a cut still say what their columns are, to retrieval, to the memory and to the reader
 * (answer/table-cells.ts weighs cells by their header). Keyed by where each body row's text begins; a header
 * taking more than half a passage's budget is not repeated.
 */
function tableHeads(text: string, countTokens: (s: string) => number, budget: number): Map<number, string> {
  const heads = new Map<number, string>();
  for (const table of tablesOf(text)) {
    const head = `${text.slice(table.head.start, table.head.end)}\n`;
    if (!table.rowStarts.length || countTokens(head) > budget / 2) continue;
    for (const at of table.rowStarts) heads.set(at, head);
  }
  return heads;
}

/**
 * The last part a passage can run to, given that it can run to part `i`: what fits stops fitting once, as a
 * passage only grows, so the answer is found by doubling steps, then halving them. A part at a time, a
 * paragraph of words with no sentence end (a table's text, a log) took one count of the passage per word.
 */
function lastFitting(parts: Range[], i: number, fitsTo: (j: number) => boolean): number {
  let fit = i;
  let step = 1;
  while (fit + step < parts.length && fitsTo(fit + step)) {
    fit += step;
    step *= 2;
  }
  let over = Math.min(fit + step, parts.length); // the first part known not to fit (or past the end)
  while (over - fit > 1) {
    const mid = (fit + over) >> 1;
    if (fitsTo(mid)) fit = mid;
    else over = mid;
  }
  return fit;
}

/**
 * A passage holds at most this many characters per token of its budget. The encoder reads a word it cannot
 * split (a base64 blob, a run of one letter) as one unknown token, so such a word fitted any passage, and its
 * memory, read by the LM token by token, overflowed the LM's window: 190,000 characters of base64 made 23,758
 * LM tokens, and the ingestion of every document in its batch failed. Prose averages about five characters per
 * token; eight never binds on it (bench/split.ts with the bundle's tokens: the same passages).
 */
const PASSAGE_CHARS_PER_TOKEN = 8;

/** Below this many encoder tokens a passage is a heading or a dateline, and the next paragraph joins it. */
const JOIN_BELOW = 32;

/** A paragraph's text: what lies between blank lines. */
const PARAGRAPH_BODY = /(?:[^\n]|\n(?![ \t]*\n))+/g;

/** The units of `r`, each without the spaces around it. */
function units(text: string, r: Range): Range[] {
  const out: Range[] = [];
  let start = r.start;
  for (const m of text.slice(r.start, r.end).matchAll(UNIT_END)) {
    out.push(...trimmed(text, { start, end: r.start + m.index! }));
    start = r.start + m.index! + m[0].length;
  }
  out.push(...trimmed(text, { start, end: r.end }));
  return out;
}

/** The matches of `pattern` inside `r`, trimmed of spaces, empty ones dropped. */
function pieces(text: string, r: Range, pattern: RegExp): Range[] {
  return [...text.slice(r.start, r.end).matchAll(pattern)].flatMap((m) => trimmed(text, { start: r.start + m.index!, end: r.start + m.index! + m[0].length }));
}

/** `r` without the spaces at its ends; nothing where it holds only spaces. */
function trimmed(text: string, r: Range): Range[] {
  const s = text.slice(r.start, r.end);
  const start = r.start + s.length - s.trimStart().length;
  const end = r.start + s.trimEnd().length;
  return end > start ? [{ start, end }] : [];
}
