import { describe, expect, it } from 'vitest';
import { lineBreak } from './generate.ts';

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
