import { describe, expect, it } from 'vitest';
import { spanStarts } from './grounding.ts';

describe('spanStarts', () => {
  const texts = ['The tower (ABC) opened on October 12, 1943. It holds "40" rooms.', 'Paris'];
  const starts = spanStarts(texts);
  const spans = (i: number) => starts[i].ends.map((e) => texts[starts[i].text].slice(starts[i].start, e));

  it('starts at every word, without leading punctuation', () => {
    expect(starts.map((s) => texts[s.text].slice(s.start, s.ends[0]))).toEqual(['The', 'tower', 'ABC', 'opened', 'on', 'October', '12', '1943', 'It', 'holds', '40', 'rooms', 'Paris']);
  });

  it('ends spans at word ends without trailing punctuation, and not past the sentence', () => {
    expect(spans(5)).toEqual(['October', 'October 12', 'October 12, 1943']);
    expect(spans(2).slice(0, 2)).toEqual(['ABC', 'ABC) opened']);
    expect(spans(8)).toEqual(['It', 'It holds', 'It holds "40', 'It holds "40" rooms']);
    expect(spans(0)).toHaveLength(8);
  });
});
