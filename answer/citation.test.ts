import { describe, expect, it } from 'vitest';
import { sentenceStarts } from '../core/sentences.ts';
import { MAX_CITATION_CHARS, sentenceAround } from './citation.ts';

const cited = (text: string, answer: string) => {
  const at = text.indexOf(answer);
  const { start, end } = sentenceAround(text, at, at + answer.length);
  return text.slice(start, end);
};

describe('citations', () => {
  const text = 'The bridge opened in 1932. It was designed by Dr. Tomas Okafor of the U.S. Army. "Who paid?" asked the council.\n\nThe toll ended in 1961!  Repairs followed.';

  it('cite the sentence that holds the answer, without the spaces around it', () => {
    expect(cited(text, '1932')).toBe('The bridge opened in 1932.');
    expect(cited(text, '1961')).toBe('The toll ended in 1961!');
    expect(cited(text, 'Repairs')).toBe('Repairs followed.');
    expect(cited(text, 'council')).toBe('"Who paid?" asked the council.');
  });

  it('do not end a sentence at a title or at initials', () => {
    expect(cited(text, 'Tomas Okafor')).toBe('It was designed by Dr. Tomas Okafor of the U.S. Army.');
    expect(sentenceStarts(text).map((s) => text.slice(s, s + 6))).toEqual(['It was', '"Who p', 'The to', 'Repair']);
  });

  it('widen to every sentence an answer runs across, and to the whole text where it has no end mark', () => {
    expect(cited(text, '1932. It was')).toBe('The bridge opened in 1932. It was designed by Dr. Tomas Okafor of the U.S. Army.');
    expect(cited('no end mark here', 'mark')).toBe('no end mark here');
  });

  it('read through wrapped lines, and end at blank lines, list items and headings', () => {
    const wrapped = 'The reading room reopened on 2 March 2026 after a two-year\nrenovation. It holds 40,000\nvolumes.';
    expect(cited(wrapped, '2 March 2026')).toBe('The reading room reopened on 2 March 2026 after a two-year\nrenovation.');
    expect(cited(wrapped, '40,000')).toBe('It holds 40,000\nvolumes.');
    const page = '## Opening hours\nWeekdays from nine\nto five\n- Sunday: closed\n- Monday: by appointment\n\nTickets at the desk';
    expect(cited(page, 'nine')).toBe('Weekdays from nine\nto five');
    expect(cited(page, 'closed')).toBe('- Sunday: closed');
    expect(cited(page, 'appointment')).toBe('- Monday: by appointment');
    expect(cited(page, 'desk')).toBe('Tickets at the desk');
    expect(cited(page, 'Opening')).toBe('## Opening hours');
    const table = '| variable | default |\n|---|---|\n| `PORT` | `8080` |\n| `HOST` | `0.0.0.0` |';
    expect(cited(table, '8080')).toBe('| `PORT` | `8080` |');
  });

  it('end a sentence before one that opens with Markdown emphasis or code, and keep "#tag" lines wrapped', () => {
    const md = 'F1 doubled ([results](results/README.md)).\n**Memories are stored in 4 bits** (`q4`): smaller.\n`npm test` runs it.';
    expect(cited(md, '4 bits')).toBe('**Memories are stored in 4 bits** (`q4`): smaller.');
    expect(cited(md, 'runs it')).toBe('`npm test` runs it.');
    expect(cited('# Tags\nsee the\n#release notes\nfor more', 'release')).toBe('see the\n#release notes\nfor more');
  });

  it('narrow a citation without end marks to the lines holding the answer once it runs long', () => {
    const table = Array.from({ length: 40 }, (_, i) => `route ${i} departs at ${8 + (i % 12)}:${i % 6}0`).join('\n');
    expect(table.length).toBeGreaterThan(MAX_CITATION_CHARS);
    expect(cited(table, 'route 17 ')).toBe('route 17 departs at 13:50');
  });

  it('narrow one line longer than the limit to whole words around the answer', () => {
    const line = Array.from({ length: 120 }, (_, i) => `cell${i}`).join(' | ');
    const quote = cited(line, 'cell60 ');
    expect(quote.length).toBeLessThanOrEqual(MAX_CITATION_CHARS);
    expect(quote).toContain('cell60');
    expect(line.includes(` ${quote} `)).toBe(true);
    expect(quote.indexOf('cell60')).toBeGreaterThan(200);
  });
});
