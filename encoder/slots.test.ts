import { describe, expect, it } from 'vitest';
import { isSalient, selectSlots } from './slots.ts';

describe('memory slot selection', () => {
  const tokens = ['<s>', 'The', ' tower', ' was', ' built', ' in', ' 18', '89', ' by', ' Gust', 'ave', ' Eiffel', '.'];

  it('keeps the first token, then capitalised word starts and digits, in order', () => {
    expect(selectSlots(tokens, { selection: 'salient', slots: 6 })).toEqual([0, 1, 6, 7, 9, 11]);
  });

  it('fills with the last positions when too few tokens are salient', () => {
    expect(selectSlots(tokens, { selection: 'salient', slots: 8 })).toEqual([0, 1, 6, 7, 9, 10, 11, 12]);
  });

  it('keeps everything when the passage is shorter than the budget', () => {
    expect(selectSlots(tokens, { selection: 'salient', slots: 64 })).toHaveLength(tokens.length);
  });

  it('words keeps every token of a capitalised or numeric word', () => {
    expect(selectSlots(tokens, { selection: 'words', slots: 8 })).toEqual([0, 1, 6, 7, 9, 10, 11, 12]);
    expect(selectSlots(tokens, { selection: 'words', slots: 7 })).toEqual([0, 1, 6, 7, 9, 10, 11]);
  });

  it('looks for salient tokens in the passage only, after the turn header', () => {
    expect(selectSlots(tokens, { selection: 'salient', slots: 4 }, 2)).toEqual([0, 6, 7, 9]);
  });

  it('spaces uniform slots evenly from first to last', () => {
    expect(selectSlots(tokens, { selection: 'uniform', slots: 3 })).toEqual([0, 6, 12]);
  });

  it('a capital inside a word does not start one', () => {
    expect(isSalient('Hello', 'say')).toBe(false);
    expect(isSalient('Hello', '\n')).toBe(true);
    expect(isSalient(' hello', ' say')).toBe(false);
  });
});
