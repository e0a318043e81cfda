import { describe, expect, it } from 'vitest';
import { copies, lineBreak } from './generate.ts';

describe('a free-text answer is one line', () => {
  it('ends at the first line break after its first character', () => {
    expect(lineBreak(' William S. Paley\n\nWilliam S. Paley was')).toBe(17);
    expect(lineBreak('\n\n  Paley\nmore')).toBe(9);
  });

  it('has no end while it has no line break, or only leading ones', () => {
    expect(lineBreak('William S. Paley')).toBe(-1);
    expect(lineBreak('\n \n')).toBe(-1);
  });
});

describe('an answer that copies an example', () => {
  it('begins with one of the words, as a whole word', () => {
    expect(copies('Dubai International', ['2008', 'Dubai'], false)).toBe(true);
    expect(copies(' Dubai, 8 December', ['Dubai'], false)).toBe(true);
    expect(copies('Dubai', ['Dubai'], false)).toBe(false); // it may still go on to another word
    expect(copies('Dubai', ['Dubai'], true)).toBe(true);
    expect(copies('Dubais', ['Dubai'], true)).toBe(false);
    expect(copies('20080', ['2008'], true)).toBe(false);
    expect(copies('In Dubai', ['Dubai'], true)).toBe(false);
  });
});
