import { describe, expect, it } from 'vitest';
import { startsNotRead } from './answerer.ts';

describe('the example answers an answer may not begin with', () => {
  it('are those whose first word nothing read holds', () => {
    const starts = ['2008', 'Dubai'];
    expect(startsNotRead(starts, ['Who operates the ferry line?', 'Atlantica Ferries runs it.'])).toEqual(['2008', 'Dubai']);
    expect(startsNotRead(starts, ['Which airport?', 'Flights land at DUBAI airport since 2008.'])).toEqual([]);
    expect(startsNotRead(starts, ['Dubaiyya is a town.'])).toEqual(['2008', 'Dubai']); // a word, not a part of one
  });
});
