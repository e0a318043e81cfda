import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { htmlToText } from '../core/html-text.ts';
import { HtmlThread } from './html-thread.ts';

describe('the HTML thread', () => {
  let thread: HtmlThread;
  beforeAll(async () => {
    thread = await HtmlThread.start();
  });
  afterAll(() => thread.close());

  it('converts a page as the request thread would, and several at once, each to its own text', async () => {
    const page = (n: number) => `<h2>Fares ${n}</h2><table><tr><th>ticket</th><th>price</th></tr><tr><td>Single</td><td>${n}.80 euros</td></tr></table>`;
    expect(await thread.toText(page(1))).toBe(htmlToText(page(1)));
    expect(await thread.toText(page(1))).toContain('| Single | 1.80 euros |');
    const texts = await Promise.all([2, 3, 4].map((n) => thread.toText(page(n))));
    expect(texts.map((t) => t.match(/\d\.80 euros/)?.[0])).toEqual(['2.80 euros', '3.80 euros', '4.80 euros']);
    expect(thread.exited).toBeNull();
  });

  it('refuses calls once closed, saying so, instead of leaving them waiting', async () => {
    const other = await HtmlThread.start();
    await other.close();
    expect(other.exited).toBe('was closed');
    await expect(other.toText('<p>x</p>')).rejects.toThrow('the html thread was closed');
  });

});
