import { TABLE_ROW } from './text-blocks.ts';

/** A table cell: its text's offsets in the whole text, without the spaces around it. */
export interface TableCell {
  start: number;
  end: number;
}

/**
 * A Markdown table with a header row: the header's cells, and each body row's, column by column; `head`, the
 * header row and its delimiter row as written (line start to line end), and `rowStarts`, where each body
 * row's text begins (its line less the spaces before it).
 */
export interface Table {
  header: TableCell[];
  rows: TableCell[][];
  head: { start: number; end: number };
  rowStarts: number[];
}

const ROW_LINE = new RegExp(`^${TABLE_ROW}`);
/** A header's delimiter row: "|---|:---:|", "--- | ---", "---|---". */
const DELIMITER_LINE = /^[ \t]*\|?(?:[ \t]*:?-+:?[ \t]*\|)+(?:[ \t]*:?-+:?[ \t]*)?$/;

/**
 * The text's Markdown tables that have a header row (a row followed by a delimiter row), with or without
 * their outer pipes (core/text-blocks.ts TABLE_ROW), each with the body rows that follow its delimiter.
 * A cell border is a "|" with a space or the line's edge beside it, as for the reader's spans
 * (answer/span-rules.ts), and not escaped ("\|", as text from HTML writes a pipe inside a cell).
 */
export function tablesOf(text: string): Table[] {
  const lines: { start: number; line: string }[] = [];
  let at = 0;
  for (const line of text.split('\n')) {
    lines.push({ start: at, line });
    at += line.length + 1;
  }
  const isRow = (i: number) => i < lines.length && ROW_LINE.test(lines[i].line) && !DELIMITER_LINE.test(lines[i].line);
  const tables: Table[] = [];
  for (let i = 0; i + 1 < lines.length; i++) {
    if (!isRow(i) || !DELIMITER_LINE.test(lines[i + 1].line)) continue;
    const header = cellsOf(lines[i].line, lines[i].start);
    const head = { start: lines[i].start, end: lines[i + 1].start + lines[i + 1].line.length };
    const rows: TableCell[][] = [];
    const rowStarts: number[] = [];
    for (i += 2; isRow(i); i++) {
      rows.push(cellsOf(lines[i].line, lines[i].start));
      rowStarts.push(lines[i].start + lines[i].line.length - lines[i].line.trimStart().length);
    }
    tables.push({ header, rows, head, rowStarts });
    i--;
  }
  return tables;
}

/** The cells of one row (`line`, starting at offset `offset` of the text): the runs between its borders, less an empty run before the first border or after the last (the outer pipes). */
function cellsOf(line: string, offset: number): TableCell[] {
  const edge = (c: string | undefined) => c === undefined || /\s/.test(c);
  const borders: number[] = [];
  for (let k = 0; k < line.length; k++) {
    if (line[k] === '|' && line[k - 1] !== '\\' && (edge(line[k - 1]) || edge(line[k + 1]))) borders.push(k);
  }
  const bounds = [-1, ...borders, line.length];
  const cells: TableCell[] = [];
  for (let k = 0; k + 1 < bounds.length; k++) {
    const raw = line.slice(bounds[k] + 1, bounds[k + 1]);
    const outer = k === 0 || k === bounds.length - 2;
    if (outer && !raw.trim()) continue;
    const start = offset + bounds[k] + 1 + (raw.length - raw.trimStart().length);
    cells.push({ start, end: start + raw.trim().length });
  }
  return cells;
}
