import { describe, expect, it } from 'vitest';
import { sentenceSpans, unmarkedItemEnds } from './sentences.ts';

describe('sentences', () => {
  it('are the text between boundaries, without their spaces, headings and list items their own', () => {
    const text = '## Action items\n\nAttendees: Ines, Dr. Berg. Pedro writes the rollback plan by Friday!\n- Ines books the window\n  ';
    expect(sentenceSpans(text).map(({ start, end }) => text.slice(start, end))).toEqual([
      '## Action items', 'Attendees: Ines, Dr. Berg.', 'Pedro writes the rollback plan by Friday!', '- Ines books the window',
    ]);
    expect(sentenceSpans('   ')).toEqual([]);
    expect(sentenceSpans('one sentence')).toEqual([{ start: 0, end: 12 }]);
  });

  it('end unmarked where a list item ends after a word: not after a heading, prose, or a table row', () => {
    const text = '## Rates\n\n- Express: 9.90 euros\n- Islands: 12 euros.\n1) Pick up. Free\n\n| a | b |\n| c | d |\nIt ships today. Fine';
    expect(unmarkedItemEnds(text).map((end) => text.slice(0, end).split(/\s/).pop())).toEqual(['euros', 'Free']);
    expect(unmarkedItemEnds('Prose ends. Wrapped\nlines do not.\n- nor the last item')).toEqual([]);
  });
});
