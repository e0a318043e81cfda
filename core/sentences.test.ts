import { describe, expect, it } from 'vitest';
import { sentenceSpans } from './sentences.ts';

describe('sentences', () => {
  it('are the text between boundaries, without their spaces, headings and list items their own', () => {
    const text = '## Action items\n\nAttendees: Ines, Dr. Berg. Pedro writes the rollback plan by Friday!\n- Ines books the window\n  ';
    expect(sentenceSpans(text).map(({ start, end }) => text.slice(start, end))).toEqual([
      '## Action items', 'Attendees: Ines, Dr. Berg.', 'Pedro writes the rollback plan by Friday!', '- Ines books the window',
    ]);
    expect(sentenceSpans('   ')).toEqual([]);
    expect(sentenceSpans('one sentence')).toEqual([{ start: 0, end: 12 }]);
  });
});
