import { describe, expect, it } from 'vitest';
import { htmlToText } from './html-text.ts';

describe('an HTML page\'s text', () => {
  it('writes headings, tables and definition lists as the Markdown the service reads', () => {
    const html = `<html><head><title>Fares</title><script>var hidden = 1;</script></head><body><nav>Home | About</nav>
      <h2>Fares</h2>
      <table><thead><tr><th>ticket</th><th>price</th></tr></thead>
        <tbody><tr><td>Single</td><td>1.80 <b>euros</b></td></tr><tr><td>Day pass</td><td>5.50
          euros</td></tr></tbody></table>
      <dl><dt>Status</dt><dd>Open</dd><dt>Reported by</dt><dd>Acme Logistics</dd></dl>
      <ul><li>Express: 9.90 euros</li></ul>
      <p>See <a href="https://example.com/terms">the terms</a>.</p></body></html>`;
    expect(htmlToText(html)).toBe([
      '## Fares',
      '',
      '| ticket | price |',
      '|---|---|',
      '| Single | 1.80 euros |',
      '| Day pass | 5.50 euros |',
      '',
      'Status: Open',
      'Reported by: Acme Logistics',
      '',
      ' * Express: 9.90 euros',
      '',
      'See the terms.',
    ].join('\n'));
  });

  it('keeps a table without header cells as rows alone, and fills a spanned column', () => {
    const html = '<table><tr><td>Monday</td><td>closed</td></tr><tr><td colspan="2">Tuesday to Friday: 9:00-18:00</td></tr></table>';
    expect(htmlToText(html)).toBe('| Monday | closed |\n| Tuesday to Friday: 9:00-18:00 |  |');
  });

  it('keeps a table\'s caption, a term without a definition, and leaves an empty heading out', () => {
    expect(htmlToText('<table><caption>Fares</caption><tr><td>Single</td><td>1.80 euros</td></tr></table>')).toBe('Fares\n\n| Single | 1.80 euros |');
    const dl = '<dl><dt>Status</dt><dd>Open</dd><dt>Tags</dt><dt>Owner</dt><dd>Ines</dd><dd>Rui</dd><dt>Notes</dt></dl>';
    expect(htmlToText(dl)).toBe('Status: Open\nTags\nOwner: Ines\nOwner: Rui\nNotes');
    expect(htmlToText('<h1></h1><h2>Rates</h2>')).toBe('## Rates');
  });
});
