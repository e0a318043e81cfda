import { tablesOf, type Table, type TableCell } from '../core/tables.ts';
import { contentWords, wordSet } from '../memory/index.ts';
import type { Encoder } from '../encoder/index.ts';
import { cosine } from './candidates.ts';
import type { Word } from './span-rules.ts';

/**
 * How the reader's spans in a table are weighed (docs/experiments.md, "A table cell is read with the row
 * the question names and the column it asks for"): the reader, trained on prose, finds the right row's
 * wrong cell ("How much storage does the Starter plan include?" → the price beside it), the row next to
 * the one asked about, a header cell or the heading above the table. A span in a body cell loses
 * COLUMN_WEIGHT per unit of similarity its column's header lies below the header nearest the question
 * (HeaderSimilarity: the cosine, and the share of the header the question names; among the row's columns
 * the question neither quotes nor gives), and ROW_WEIGHT per unit of share its row names the question less
 * than the row that names it best; a span elsewhere in a text with a table (the heading, prose beside it, a
 * header cell) reads as a row that names nothing. A cell the question quotes ("Which ticket is valid for 30
 * days from first use?") is no answer, nor is any cell of a column it gives (givenColumns: the SKU column of
 * "How many of SKU-58405 are in stock?"). The best cell keeps the reader's own score. The weights were chosen
 * on the table set's first 54 questions, the rest on its first 102.
 */
const COLUMN_WEIGHT = 40;
const ROW_WEIGHT = 32;
/** A cell is quoted by a question that holds more than this share of its content words (more than half). */
const QUOTED = 0.5;

/** The header cells' texts of the texts' tables (tablesOf): what is embedded to weigh their columns. */
export function tableHeaders(texts: string[]): string[] {
  return [...new Set(texts.flatMap((text) => tablesOf(text).flatMap((t) => t.header.map((c) => cellText(text, c)))))].filter(Boolean);
}

/**
 * The similarity of a question with each header cell of the texts' tables: the cosine of their retrieval
 * encoder embeddings, plus the share of the header the question names (headerNamed). What weighs a table's
 * columns. The last CACHED header cells' embeddings are kept, as a table's header is read again for each
 * question about it.
 */
export class HeaderSimilarity {
  private readonly cache = new Map<string, Float32Array>();

  constructor(private readonly encoder: Pick<Encoder, 'encodeQuestion'>, private readonly cached = 4096) {}

  /**
   * Empty where the texts have no table with a header row (nothing is embedded then); `questionEmbedding`:
   * the question's, where retrieval has made it (else it is embedded here).
   */
  async of(question: string, texts: string[], questionEmbedding?: Float32Array): Promise<Map<string, number>> {
    const headers = tableHeaders(texts);
    const similarity = new Map<string, number>();
    if (!headers.length) return similarity;
    const q = questionEmbedding ?? (await this.encoder.encodeQuestion(question)).embedding;
    const asked = contentWords(question);
    for (const header of headers) similarity.set(header, cosine(q, await this.embedding(header)) + headerNamed(header, asked));
    return similarity;
  }

  private async embedding(text: string): Promise<Float32Array> {
    let e = this.cache.get(text);
    if (e) {
      this.cache.delete(text);
    } else {
      e = (await this.encoder.encodeQuestion(text)).embedding;
      if (this.cache.size >= this.cached) this.cache.delete(this.cache.keys().next().value!);
    }
    this.cache.set(text, e);
    return e;
  }
}

/**
 * The share of a header's content words that the question's content words (`asked`) name: "Which team is
 * Nora Dahl on?" asks for the column "team", which the cosine of the whole question with the header weighs
 * little against its other words (docs/experiments.md, "A header the question names"). A word names another
 * where both share their first four or more letters and neither has more than two letters past them
 * ("open" names "opens", "teaches" names "teacher").
 */
export function headerNamed(header: string, asked: string[]): number {
  const words = contentWords(header);
  return words.length ? words.filter((w) => asked.some((a) => sameStem(a, w))).length / words.length : 0;
}

const STEM = 4;
const ENDING = 2;

function sameStem(a: string, b: string): boolean {
  let k = 0;
  while (k < a.length && k < b.length && a[k] === b[k]) k++;
  return a === b || (k >= STEM && a.length - k <= ENDING && b.length - k <= ENDING);
}

/**
 * A text's tables with body rows, and each body cell's share of the content words the question holds, table
 * by table, row by row: what weighs the text's own spans (cellPenalties) and what it tells the texts read
 * beside it (bestNamed). Null for a text without such a table. Read once per text and question.
 */
export interface NamedTables {
  tables: Table[];
  shares: number[][][];
}

export function namedTables(text: string, question: string): NamedTables | null {
  const tables = tablesOf(text).filter((t) => t.rows.length);
  if (!tables.length) return null;
  const asked = wordSet(question);
  const named = (cell: TableCell) => {
    const words = contentWords(cellText(text, cell));
    return words.length ? words.filter((w) => asked.has(w)).length / words.length : 0;
  };
  return { tables, shares: tables.map((t) => t.rows.map((row) => row.map(named))) };
}

/**
 * Each of the text's words' penalty where it starts a span (null for a text without a table with body
 * rows; Infinity where no answer may start): `named`, the text's namedTables for the question;
 * `headerSimilarity` maps a header cell's text to its similarity with the question (HeaderSimilarity; a
 * header missing from it weighs no column); `namedElsewhere`: how well the tables of the other texts read with
 * this one name the question (bestNamed), the row to beat; `given`: the headers of the columns the question
 * gives (givenColumns), whose cells are no answer in any row.
 */
export function cellPenalties(
  text: string, words: Word[], named: NamedTables | null, headerSimilarity: ReadonlyMap<string, number>, namedElsewhere = 0, given: ReadonlySet<string> = new Set(),
): Float32Array | null {
  if (!named) return null;
  const { tables, shares } = named;
  // a span outside the tables' body rows (the text around them, a header) reads as a row that names
  // nothing: it loses what the row naming the question best gains over such a row
  const penalties = new Float32Array(words.length).fill(ROW_WEIGHT * Math.max(0, namedElsewhere, ...shares.flat(2)));
  for (const [t, { header, rows }] of tables.entries()) {
    const similarity = header.map((c) => headerSimilarity.get(cellText(text, c)));
    const gives = header.map((c) => given.has(cellText(text, c)));
    const rowShares = shares[t];
    // the header nearest the question among a row's columns that the question neither gives nor quotes there
    const nearest = rowShares.map((row) => Math.max(0, ...similarity.filter((s, c): s is number => s !== undefined && !gives[c] && !(row[c] > QUOTED))));
    const bestRow = header.map((_, column) => Math.max(namedElsewhere, ...rowShares.map((row) => rowShare(row, column))));
    rows.forEach((row, r) =>
      row.forEach((cell, column) => {
        const s = similarity[column];
        const columnPenalty = s === undefined ? 0 : COLUMN_WEIGHT * (nearest[r] - s);
        // a cell the question quotes, or one of a column it gives, is what it asks about, not its answer
        const penalty = gives[column] || rowShares[r][column] > QUOTED ? Infinity : columnPenalty + ROW_WEIGHT * ((bestRow[column] ?? rowShare(rowShares[r], column)) - rowShare(rowShares[r], column));
        for (const [k, w] of words.entries()) if (w.start >= cell.start && w.end <= cell.end) penalties[k] = penalty;
      }),
    );
  }
  return penalties;
}

/**
 * The columns the question gives, by their header's text, over the texts read together (`named`: each
 * text's namedTables): a column in which it quotes exactly one cell ("How many of SKU-58405 are in stock?"
 * gives the SKU column; a long table's parts carry the same header). Its cells are no answer in any row:
 * another row's key is not what the question asks for (docs/experiments.md, "A column in which the question
 * quotes one cell"). A value quoted in several rows ("Was swimming allowed in August?") gives no column.
 */
export function givenColumns(texts: string[], named: (NamedTables | null)[]): Set<string> {
  const quoted = new Map<string, number>();
  texts.forEach((text, i) =>
    named[i]?.tables.forEach((table, t) =>
      table.header.forEach((h, c) => {
        const n = named[i]!.shares[t].filter((row) => row[c] > QUOTED).length;
        const header = cellText(text, h);
        if (n) quoted.set(header, (quoted.get(header) ?? 0) + n);
      }),
    ),
  );
  return new Set([...quoted].filter(([, n]) => n === 1).map(([header]) => header));
}

/**
 * How well a text's tables (its namedTables) name the question: the largest share of a body cell's content
 * words that the question holds (null for a text without a table with body rows). What a text read beside
 * others passes to their cellPenalties as `namedElsewhere`: a table part whose rows name the question less
 * than another part read with it (a long table cut into passages) loses the difference, as a row of its own
 * table would.
 */
export const bestNamed = (named: NamedTables | null): number | null => (named ? Math.max(0, ...named.shares.flat(2)) : null);

/**
 * Where an answer (characters start-end of `text`) lies in a table's body cell: how well its row names the
 * question, the largest share of a cell's content words that the question holds among the row's cells
 * outside the answer's column (0 where none names it: a question about a row the table does not have);
 * null for an answer outside a body cell. A calibration feature (answer/calibrator.ts `table_row`): the
 * reader's score over "no answer" runs low on table text, right answers included.
 */
export function answerRow(text: string, question: string, start: number, end: number): number | null {
  const named = namedTables(text, question);
  for (const [t, table] of (named?.tables ?? []).entries()) {
    for (const [r, row] of table.rows.entries()) {
      const column = row.findIndex((cell) => start >= cell.start && end <= cell.end);
      if (column >= 0) return rowShare(named!.shares[t][r], column);
    }
  }
  return null;
}

/**
 * How well a row names the question, leaving out the column a span lies in (a row's cell shares, namedTables):
 * what weighs the reader's spans (cellPenalties) and what an answer reports as `table_row` (answerRow).
 */
const rowShare = (row: number[], column: number) => Math.max(0, ...row.filter((_, c) => c !== column));

const cellText = (text: string, cell: TableCell) => text.slice(cell.start, cell.end);
