import { describe, expect, it } from 'vitest';
import { tablesOf } from './tables.ts';

const cells = (text: string) => tablesOf(text).map((t) => ({ header: t.header.map((c) => text.slice(c.start, c.end)), rows: t.rows.map((r) => r.map((c) => text.slice(c.start, c.end))) }));

describe('Markdown tables with a header row', () => {
  it('reads the header and body cells of a piped table, by their offsets', () => {
    const text = '## Plans\n\n| plan | storage |\n|---|---|\n| Starter | 50 GB |\n| Team | 1 TB |\n\nPrices are monthly.';
    expect(cells(text)).toEqual([{ header: ['plan', 'storage'], rows: [['Starter', '50 GB'], ['Team', '1 TB']] }]);
  });

  it('reads a table without outer pipes, and keeps an empty cell in its column', () => {
    const text = 'node | region | role\n--- | :---: | ---\nhs-01 | Lisbon | primary\nhs-02 |  | replica';
    expect(cells(text)).toEqual([{ header: ['node', 'region', 'role'], rows: [['hs-01', 'Lisbon', 'primary'], ['hs-02', '', 'replica']] }]);
  });

  it('keeps a pipe inside a word or escaped inside a cell', () => {
    const text = '| flag | meaning |\n|---|---|\n| sm|rg | a \\| b |';
    expect(cells(text)).toEqual([{ header: ['flag', 'meaning'], rows: [['sm|rg', 'a \\| b']] }]);
  });

  it('finds no table without a header row, and each of two tables apart', () => {
    expect(tablesOf('| a | b |\n| c | d |')).toEqual([]);
    expect(tablesOf('Sales | were | up')).toEqual([]);
    const two = '| a | b |\n|---|---|\n| 1 | 2 |\n\n| c | d |\n|---|---|\n| 3 | 4 |';
    expect(cells(two)).toEqual([{ header: ['a', 'b'], rows: [['1', '2']] }, { header: ['c', 'd'], rows: [['3', '4']] }]);
  });

  it('tells where the header and delimiter rows lie and where each body row begins', () => {
    const text = 'Rota\n\n| week | primary |\n|---|---|\n| 1 | Anna |\n  | 2 | Tomas |';
    const [table] = tablesOf(text);
    expect(text.slice(table.head.start, table.head.end)).toBe('| week | primary |\n|---|---|');
    expect(table.rowStarts.map((at) => text.slice(at, at + 5))).toEqual(['| 1 |', '| 2 |']);
  });
});
