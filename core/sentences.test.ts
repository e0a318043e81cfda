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
});
