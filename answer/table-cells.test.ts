import { describe, expect, it } from 'vitest';
import { contentWords } from '../memory/index.ts';
import { answerRow, bestNamed, cellPenalties, givenColumns, headerNamed, HeaderSimilarity, namedTables, tableHeaders } from './table-cells.ts';
import { wordsOf } from './span-rules.ts';

const TABLE = '## Plans\n\n| plan | monthly price | storage |\n|---|---|---|\n| Starter | 9 dollars | 50 GB |\n| Team | 29 dollars | 1 TB |\n';
const SIMILARITY = new Map([['plan', 0.3], ['monthly price', 0.2], ['storage', 0.6]]);

/** The penalty of the span starting at the first word of `cell`. */
function penaltyOf(text: string, question: string, similarity: Map<string, number>, cell: string) {
  const words = wordsOf(text);
  const penalties = cellPenalties(text, words, namedTables(text, question), similarity)!;
  return penalties[words.findIndex((w) => w.start === text.indexOf(cell))];
}

describe('weighing the reader\'s spans in a table', () => {
  it('leaves the cell of the row named and the column asked for as the reader scores it, and lowers the others', () => {
    const q = 'How much storage does the Starter plan include?';
    expect(penaltyOf(TABLE, q, SIMILARITY, '50 GB')).toBe(0);
    // the price beside it: its column lies 0.4 below the nearest header
    expect(penaltyOf(TABLE, q, SIMILARITY, '9 dollars')).toBeCloseTo(40 * 0.4, 4);
    // the next row's cell of the same column: a row that names nothing of the question
    expect(penaltyOf(TABLE, q, SIMILARITY, '1 TB')).toBeCloseTo(32, 4);
    // without the headers' similarity the rows are still weighed, the columns not
    expect(penaltyOf(TABLE, q, new Map(), '9 dollars')).toBe(0);
    expect(penaltyOf(TABLE, q, new Map(), '1 TB')).toBeCloseTo(32, 4);
  });

  it('takes no cell the question quotes as an answer, and asks for another column than the quoted one', () => {
    const q = 'Which plan has 50 GB of storage?';
    expect(penaltyOf(TABLE, q, SIMILARITY, '50 GB')).toBe(Infinity);
    // storage, the nearest header, is quoted in this row: the plan's column is the nearest left
    expect(penaltyOf(TABLE, q, SIMILARITY, 'Starter')).toBe(0);
    // a cell half of whose words the question holds is not quoted
    expect(penaltyOf(TABLE, 'Which plan has 50 MB?', SIMILARITY, '50 GB')).toBeLessThan(Infinity);
  });

  it('lowers the text around a table as a row that names nothing, and reads a text without one as it is', () => {
    const q = 'How much storage does the Starter plan include?';
    // the heading and the header cells: the Starter row names the question fully, so they lose a whole row's weight
    expect(penaltyOf(TABLE, q, SIMILARITY, 'Plans')).toBeCloseTo(32, 4);
    expect(penaltyOf(TABLE, q, SIMILARITY, 'storage')).toBeCloseTo(32, 4);
    // a question that names no row leaves them as the reader scores them
    expect(penaltyOf(TABLE, 'How much storage is there?', SIMILARITY, 'Plans')).toBe(0);
    const prose = 'Storage is 50 GB on the Starter plan.';
    expect(cellPenalties(prose, wordsOf(prose), namedTables(prose, q), SIMILARITY)).toBeNull();
  });

  it('lowers a table part whose rows name the question less than another part read with it', () => {
    const later = '| plan | monthly price | storage |\n|---|---|---|\n| Business | 59 dollars | 5 TB |\n';
    const q = 'How much storage does the Starter plan include?';
    expect(bestNamed(namedTables(TABLE, q))).toBe(1);
    expect(bestNamed(namedTables(later, q))).toBe(0);
    expect(bestNamed(namedTables('Storage is 50 GB.', q))).toBeNull();
    // read beside the part that names the Starter row, the other part's best cell loses a whole row's weight
    const words = wordsOf(later);
    const at = words.findIndex((w) => w.start === later.indexOf('5 TB'));
    expect(cellPenalties(later, words, namedTables(later, q), SIMILARITY)![at]).toBe(0);
    expect(cellPenalties(later, words, namedTables(later, q), SIMILARITY, bestNamed(namedTables(TABLE, q))!)![at]).toBeCloseTo(32, 4);
    // the part that names it keeps its cell as the reader scores it
    const own = wordsOf(TABLE);
    expect(cellPenalties(TABLE, own, namedTables(TABLE, q), SIMILARITY, bestNamed(namedTables(later, q))!)![own.findIndex((w) => w.start === TABLE.indexOf('50 GB'))]).toBe(0);
  });

  it('embeds each header once, and the texts of no table not at all', async () => {
    const asked: string[] = [];
    const headers = new HeaderSimilarity({ encodeQuestion: async (text) => (asked.push(text), { embedding: Float32Array.of(text === 'storage' ? 1 : 0.6, text === 'storage' ? 0 : 0.8) }) });
    expect(tableHeaders([TABLE, 'no table'])).toEqual(['plan', 'monthly price', 'storage']);
    expect((await headers.of('q', ['prose only'])).size).toBe(0);
    expect(asked).toEqual([]);
    const first = await headers.of('q', [TABLE]);
    expect(first.get('storage')).toBeCloseTo(0.6, 6);
    expect(first.get('plan')).toBeCloseTo(1, 6);
    expect(asked).toEqual(['q', 'plan', 'monthly price', 'storage']);
    // the question's embedding where retrieval made it: nothing is embedded again
    const again = await headers.of('q', [TABLE], Float32Array.of(0.6, 0.8));
    expect(again.get('storage')).toBeCloseTo(0.6, 6);
    expect(asked).toEqual(['q', 'plan', 'monthly price', 'storage']);
  });
});

describe('how well an answer\'s row names the question', () => {
  const at = (cell: string) => [TABLE.indexOf(cell), TABLE.indexOf(cell) + cell.length] as const;

  it('reads the row\'s cells outside the answer\'s column', () => {
    expect(answerRow(TABLE, 'How much storage does the Team plan include?', ...at('1 TB'))).toBe(1);
    expect(answerRow(TABLE, 'Which plan has 1 TB?', ...at('Team'))).toBe(1);
    // the answer's own cell, which the question quotes, does not count: its row's other cells name nothing
    expect(answerRow(TABLE, 'What is the Team plan?', ...at('Team'))).toBe(0);
  });

  it('is 0 for a row the question does not name, and null outside a body cell', () => {
    expect(answerRow(TABLE, 'How much storage does the Pro plan include?', ...at('1 TB'))).toBe(0);
    expect(answerRow(TABLE, 'How much storage does the Team plan include?', ...at('Plans'))).toBeNull();
    expect(answerRow(TABLE, 'What is the storage?', ...at('storage'))).toBeNull();
    expect(answerRow('Prose with no table.', 'Prose?', 0, 5)).toBeNull();
  });
});

describe('a header the question names', () => {
  it('counts the share of its content words the question holds, a word and its short endings alike', () => {
    expect(headerNamed('team', contentWords('Which team is Nora Dahl on?'))).toBe(1);
    expect(headerNamed('opens', contentWords('When does the Kavli clinic open?'))).toBe(1);
    expect(headerNamed('monthly price', contentWords('What does the family plan cost each month?'))).toBe(0.5);
    expect(headerNamed('teacher', contentWords('Who teaches Python?'))).toBe(1);
    // too short a shared start, or too long an ending, names nothing
    expect(headerNamed('closes', contentWords('When does the Kavli clinic open?'))).toBe(0);
    expect(headerNamed('storage', contentWords('Where do we store it?'))).toBe(0);
    expect(headerNamed('room', contentWords('Where is CS489 taught?'))).toBe(0);
  });
});

describe('a column the question gives', () => {
  const STOCK = '| SKU | product | quantity |\n|---|---|---|\n| SKU-58405 | oak shelf | 333 |\n| SKU-40934 | brass screw | 12 |\n';
  const WATER = '| month | swimming |\n|---|---|\n| June | allowed |\n| July | allowed |\n';

  it('is one in which the question quotes exactly one cell, over every text read together', () => {
    const q = 'How many of SKU-58405 are in stock?';
    expect([...givenColumns([STOCK], [namedTables(STOCK, q)])]).toEqual(['SKU']);
    // a value quoted in several rows gives no column
    const w = 'Was swimming allowed in June?';
    expect([...givenColumns([WATER], [namedTables(WATER, w)])]).toEqual(['month']);
    expect([...givenColumns([WATER], [namedTables(WATER, 'Was swimming allowed?')])]).toEqual([]);
  });

  it('has no answer in any row', () => {
    const q = 'How many of SKU-58405 are in stock?';
    const words = wordsOf(STOCK);
    const at = (cell: string) => words.findIndex((w) => w.start === STOCK.indexOf(cell));
    const penalties = cellPenalties(STOCK, words, namedTables(STOCK, q), new Map([['SKU', 1.3], ['product', 0.2], ['quantity', 0.4]]), 0, new Set(['SKU']))!;
    expect(penalties[at('SKU-40934')]).toBe(Infinity);
    expect(penalties[at('333')]).toBe(0);
    // without it, the other row's key was an answer nothing lowered
    const open = cellPenalties(STOCK, words, namedTables(STOCK, q), new Map([['SKU', 1.3], ['product', 0.2], ['quantity', 0.4]]))!;
    expect(open[at('SKU-40934')]).toBe(0);
  });
});
