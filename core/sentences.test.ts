import { describe, expect, it } from 'vitest';
import { sentenceSpans, unmarkedEnds } from './sentences.ts';

describe('sentences', () => {
  it('are the text between boundaries, without their spaces, headings and list items their own', () => {
    const text = '## Action items\n\nAttendees: Ines, Dr. Berg. Pedro writes the rollback plan by Friday!\n- Ines books the window\n  ';
    expect(sentenceSpans(text).map(({ start, end }) => text.slice(start, end))).toEqual([
      '## Action items', 'Attendees: Ines, Dr. Berg.', 'Pedro writes the rollback plan by Friday!', '- Ines books the window',
    ]);
    expect(sentenceSpans('   ')).toEqual([]);
    expect(sentenceSpans('one sentence')).toEqual([{ start: 0, end: 12 }]);
  });

  it('end unmarked where a list item ends after a word or a table row ends: not after a heading or prose', () => {
    const text = '## Rates\n\n- Express: 9.90 euros\n- Islands: 12 euros.\n1) Pick up. Free\n\n| a | b |\n| c | d\n| e |\nIt ships today. Fine';
    expect(unmarkedEnds(text).map((end) => text.slice(0, end).split(/\s/).pop())).toEqual(['euros', 'Free', '|', 'd']);
    expect(unmarkedEnds('Prose ends. Wrapped\nlines do not.\n- nor the last item')).toEqual([]);
  });

  it('end at the rows of a table written without its outer pipes, but read a pipe in prose through', () => {
    const table = 'plan | price\n---|---\nTeam | 29 dollars\n:--- | ---:\nPro | 49 dollars\n\nPrices include tax.';
    expect(sentenceSpans(table).map(({ start, end }) => table.slice(start, end))).toEqual([
      'plan | price', '---|---', 'Team | 29 dollars', ':--- | ---:', 'Pro | 49 dollars', 'Prices include tax.',
    ]);
    expect(unmarkedEnds(table).map((end) => table.slice(0, end).split(/\s/).pop())).toEqual(['price', '---|---', 'dollars', '---:', 'dollars']);
    // a pipe without spaces beside it, or on a line's first word only, is no row
    const prose = 'Build it with\nsm|rg flags, then\npipe it to| less';
    expect(sentenceSpans(prose)).toHaveLength(1);
  });

  it('part a ticket\'s or a mail\'s field lines, but read a single "Key: value" line in prose through', () => {
    const ticket = 'Ticket: SUP-4821\nStatus: Open\nReported by: Acme Logistics\n\nThe export fails.';
    expect(sentenceSpans(ticket).map(({ start, end }) => ticket.slice(start, end))).toEqual([
      'Ticket: SUP-4821', 'Status: Open', 'Reported by: Acme Logistics', 'The export fails.',
    ]);
    expect(unmarkedEnds(ticket).map((end) => ticket.slice(0, end).split(/\s/).pop())).toEqual(['SUP-4821', 'Open', 'Logistics']);
    const prose = 'The outage had one cause\nin the end: an expired certificate\nthat nobody renewed.';
    expect(sentenceSpans(prose)).toHaveLength(1);
    expect(sentenceSpans('Dr. Lee: the chair, and\nthe sponsor of the bill')).toHaveLength(1);
    const bold = '**Status:** Open\n__Owner__: Ines\n**Due:** Friday';
    expect(sentenceSpans(bold).map(({ start, end }) => bold.slice(start, end))).toEqual(['**Status:** Open', '__Owner__: Ines', '**Due:** Friday']);
  });
});
