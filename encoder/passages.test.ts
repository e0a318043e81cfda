import { describe, expect, it } from 'vitest';
import { splitPassages } from './passages.ts';

const words = (s: string) => s.split(/\s+/).filter(Boolean).length;

describe('splitPassages', () => {
  it('keeps a short document whole', () => {
    expect(splitPassages('One sentence. Two sentences!', words, 64)).toEqual(['One sentence. Two sentences!']);
  });

  it('packs sentences greedily within the budget (max - 2 for the special tokens)', () => {
    const text = 'a b c. d e f. g h i. j k l.';
    expect(splitPassages(text, words, 8)).toEqual(['a b c. d e f.', 'g h i. j k l.']);
  });

  it('cuts an overlong sentence into word chunks', () => {
    const text = Array.from({ length: 10 }, (_, i) => `w${i}`).join(' ');
    const parts = splitPassages(text, words, 6);
    expect(parts.every((p) => words(p) <= 4)).toBe(true);
    expect(parts.join(' ')).toBe(text);
  });
});
