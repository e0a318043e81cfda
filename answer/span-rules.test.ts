import { describe, expect, it } from 'vitest';
import { spanRule, wordsOf } from './span-rules.ts';

/** Every answer the rule allows in the text, as strings. */
function answers(text: string): Set<string> {
  const words = wordsOf(text);
  const allowed = spanRule(text, words);
  const out = new Set<string>();
  for (let i = 0; i < words.length; i++) for (let j = i; j < words.length; j++) if (allowed(i, j)) out.add(text.slice(words[i].start, words[j].end));
  return out;
}

describe('which spans of structured text may be an answer', () => {
  it('keeps an answer inside one table cell', () => {
    const got = answers('| Saturday | 10:00-14:00 |');
    expect(got).toContain('10:00-14:00');
    expect(got).not.toContain('Saturday | 10:00');
    expect(answers('the sm|rg build')).toContain('sm|rg build');
    // a table written without its outer pipes: one cell of one row
    const unpiped = answers('plan | price\n---|---\nTeam | 29 dollars\nPro | 49 dollars');
    expect(unpiped).toContain('29 dollars');
    expect(unpiped).toContain('Team');
    for (const a of unpiped) expect(a).not.toMatch(/\n| \| /);
  });

  it('keeps an answer inside one column of text laid out with spaces or tabs', () => {
    const listing = answers('memory/       SQLite memory bank (documents, versions)\nencoder/      MiniLM embeddings');
    expect(listing).toContain('SQLite memory bank');
    expect(listing).toContain('memory/');
    for (const a of listing) expect(a).not.toMatch(/ {3}|\t/);
    expect(answers('name\tport\nweb\t8080')).not.toContain('web\t8080');
    // prose: a double space, a wrapped line's indentation
    expect(answers('the bridge  opened in 1911')).toContain('bridge  opened in 1911');
    expect(answers('- the tug Resolute,\n    built in 1907')).toContain('Resolute,\n    built in 1907');
  });

  it('keeps an answer inside one sentence, where titles and initials end none', () => {
    const got = answers('Attendees: Ines, Rafael, Joana, Pedro. Rafael finished the migration. It was designed by Dr. Tomas Okafor of the U.S. Army.');
    expect(got).toContain('Ines, Rafael, Joana, Pedro');
    expect(got).toContain('Rafael');
    expect(got).not.toContain('Pedro. Rafael');
    expect(got).not.toContain('migration. It');
    expect(got).toContain('Dr. Tomas Okafor of the U.S. Army');
  });

  it('keeps an answer inside one block: no blank line, list item, heading or table row inside it', () => {
    const page = 'Maritime Museum\n\nThe Maritime Museum keeps the tug\nResolute, built in 1907.\n- Sundays: free\n# Hours\nnine to five';
    const got = answers(page);
    expect(got).toContain('The Maritime Museum');
    expect(got).toContain('tug\nResolute'); // a wrapped line is read through
    expect(got).toContain('Sundays: free');
    expect(got).toContain('nine to five');
    for (const a of got) expect(a).not.toMatch(/\n[ \t]*\n|\n(- |# )|Hours\n/);
  });

  it('neither starts nor ends on an inline Markdown mark', () => {
    const got = answers('**Memories are stored in 4 bits** (`q4`), see MAX_BODY_BYTES.');
    expect(got).toContain('in 4 bits');
    expect(got).toContain('q4');
    expect(got).toContain('MAX_BODY_BYTES');
    for (const a of got) expect(a).not.toMatch(/^[`_]|[`_]$|^\*\*|\*\*$/);
    // a single "*" or a "~" is part of what prose says
    expect(answers('listed at Grade II* since 1950')).toContain('Grade II*');
    expect(answers('the root *kwon- "dog"')).toContain('*kwon');
    expect(answers('about ~70% of it')).toContain('~70%');
  });

  it('never starts on a heading\'s "#", which a number may follow', () => {
    const got = answers('# MAC knowledge service\n## Quick start\nIt reached #1 in May.');
    expect(got).toContain('MAC knowledge service');
    expect(got).toContain('#1');
    for (const a of got) expect(a).not.toMatch(/^#+\s/);
  });

  it('never starts on a list item\'s marker, bulleted or numbered; a dash or number inside a line stays', () => {
    const got = answers('- Miguel benchmarks it\n  * 20 GB\n2. Open Settings\n3) Pay 1 euro\n• Bays 14 - 20');
    for (const a of ['Miguel', '20 GB', 'Open Settings', 'Pay 1 euro', '14 - 20', '- 20']) expect(got).toContain(a);
    for (const a of ['- Miguel', '* 20 GB', '2. Open Settings', '. Open Settings', '3) Pay', ') Pay', '• Bays']) expect(got).not.toContain(a);
  });

  it('keeps an answer inside one field line of a ticket or a mail\'s header', () => {
    const got = answers('Course: Data ethics\nInstructor: Dr. Amara Osei\nSessions: 6, every Tuesday\nRoom: B2.14');
    for (const a of ['Dr. Amara Osei', 'B2.14', '6, every Tuesday']) expect(got).toContain(a);
    for (const a of got) expect(a).not.toContain('\n');
  });

  it('keeps inline code whole: no answer opens or closes half of it', () => {
    const got = answers('| `MAX_CONCURRENT_ANSWERS` | `8`, `16` | answers at once |');
    expect(got).toContain('8');
    expect(got).toContain('16');
    expect(got).not.toContain('8`, `16');
    const prose = answers('set `THREADS` to `2` on small machines');
    expect(prose).toContain('THREADS');
    expect(prose).toContain('set `THREADS` to `2` on small machines');
    expect(prose).not.toContain('THREADS` to `2');
    expect(prose).not.toContain('set `THREADS');
    const strong = answers('**Memories are stored in 4 bits** (`q4`): 0.56x the bytes');
    expect(strong).toContain('in 4 bits');
    expect(strong).not.toContain('in 4 bits** (`q4`)');
    expect(answers('see **the table** below')).toContain('see **the table** below');
    // backticks pair line by line: an unclosed one does not reach the next line
    expect(answers('a ` stray\n`x` y')).toContain('x');
  });
});
