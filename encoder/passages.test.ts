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

  it('makes each paragraph a passage of its own, though two would fit together; a short one takes the next in', () => {
    const long = (n: number, w: string) => Array.from({ length: n }, (_, i) => `${w}${i}`).join(' ') + '.';
    const text = `${long(40, 'a')}\n\n${long(5, 'b')}\n\n${long(33, 'c')}`;
    expect(splitPassages(text, words, 256)).toEqual([long(40, 'a'), long(5, 'b') + '\n\n' + long(33, 'c')]);
  });

  it('joins a heading or a dateline (under 32 tokens) to the paragraph after it, where both fit', () => {
    const body = Array.from({ length: 40 }, (_, i) => `w${i}`).join(' ') + '.';
    expect(splitPassages(`## Opening hours\n\n${body}`, words, 256)).toEqual([`## Opening hours\n\n${body}`]);
    expect(splitPassages(`## Opening hours\n\n${body}`, words, 42)).toEqual(['## Opening hours', body]);
  });

  it('cuts a paragraph longer than a passage by its sentences, and starts the next paragraph anew', () => {
    expect(splitPassages('a b c. d e f. g h.\n\ni j.', words, 8)).toEqual(['a b c. d e f.', 'g h.', 'i j.']);
  });

  it('cuts an overlong sentence into word chunks', () => {
    const text = Array.from({ length: 10 }, (_, i) => `w${i}`).join(' ');
    const parts = splitPassages(text, words, 6);
    expect(parts.every((p) => words(p) <= 4)).toBe(true);
    expect(parts.join(' ')).toBe(text);
  });

  it('packs a long run of words (a table\'s text, a log) with a few counts per passage, not one per word', () => {
    const text = Array.from({ length: 30_000 }, (_, i) => `w${i}`).join(' ');
    let counted = 0;
    const counting = (s: string) => ((counted += s.length), words(s));
    const parts = splitPassages(text, counting, 66);
    // 30,000 words: 468 passages of 64 and one of 48
    expect(parts.slice(0, -1).every((p) => words(p) === 64)).toBe(true);
    expect(words(parts.at(-1)!)).toBe(48);
    expect(parts.join(' ')).toBe(text);
    // a count per word read each passage's text again for every word it took: about 64 / 2 times the text
    expect(counted).toBeLessThan(20 * text.length);
  });

  it('cuts a word no passage holds into pieces of characters: a blob read as one token, text without spaces', () => {
    // an encoder reads a blob it cannot split as one unknown token: the characters bound it, 62 x 8 per passage
    const blob = 'QUJD'.repeat(5_000);
    const parts = splitPassages(`Attached:\n\n${blob}`, words, 64);
    expect(parts[0]).toBe('Attached:');
    expect(parts.length).toBeGreaterThan(blob.length / (62 * 8));
    expect(parts.every((p) => p.length <= 62 * 8)).toBe(true);
    expect(parts.slice(1).join('')).toBe(blob);
    // Chinese is written without spaces: one token per character here, each passage within the budget
    const chinese = '港口图书馆于二零二六年三月开放'.repeat(100);
    const perCharacter = (s: string) => [...s.replace(/\s/g, '')].length;
    const pieces = splitPassages(chinese, perCharacter, 64);
    expect(pieces.every((p) => perCharacter(p) <= 62)).toBe(true);
    expect(pieces.join('')).toBe(chinese);
  });

  it("ends units at blocks, headings and table rows, and keeps the text's line breaks", () => {
    const text = '## Hours\nOpen daily\nfrom nine\n\n| day | open |\n| Sunday | closed |\n- bring a card\n- no food';
    // a budget of five words: each block on its own, the wrapped line read through
    expect(splitPassages(text, words, 7)).toEqual(['## Hours', 'Open daily\nfrom nine', '| day | open |', '| Sunday | closed |', '- bring a card', '- no food']);
    expect(splitPassages(text, words, 64)).toEqual([text]);
  });

  it('cuts an overlong unit at its line breaks before its words', () => {
    const text = 'alpha beta gamma\ndelta epsilon\nzeta eta theta iota kappa lambda';
    expect(splitPassages(text, words, 7)).toEqual(['alpha beta gamma\ndelta epsilon', 'zeta eta theta iota kappa', 'lambda']);
  });

  it("begins a passage cut inside a table with the table's header and delimiter rows, counted in its budget", () => {
    const rows = Array.from({ length: 6 }, (_, i) => `| ${i + 1} | name${i + 1} |`).join('\n');
    const text = `## Rota\n\n| week | primary |\n|---|---|\n${rows}`;
    // a budget of 16 words (a row is 5 of them, "|" counted; the header and delimiter 6): the rows in twos
    const parts = splitPassages(text, words, 18);
    expect(parts).toEqual([
      '## Rota',
      '| week | primary |\n|---|---|\n| 1 | name1 |\n| 2 | name2 |',
      '| week | primary |\n|---|---|\n| 3 | name3 |\n| 4 | name4 |',
      '| week | primary |\n|---|---|\n| 5 | name5 |\n| 6 | name6 |',
    ]);
    for (const p of parts) expect(words(p)).toBeLessThanOrEqual(16);
    // a header taking more than half the budget (11 words) is not repeated
    expect(splitPassages(text, words, 13).slice(1, 3)).toEqual(['| week | primary |\n|---|---|\n| 1 | name1 |', '| 2 | name2 |\n| 3 | name3 |']);
  });

  it('returns slices of the text outside tables, so offsets into a passage are offsets into the text', () => {
    const text = 'First  line of a long note.\n\n  Second block,\n  wrapped.   Third.';
    for (const p of splitPassages(text, words, 5)) expect(text).toContain(p);
  });
});
