import { describe, expect, it } from 'vitest';
import { spanShares, spanStarts } from './grounding.ts';

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

describe('spanShares', () => {
  const span = (text: number, start: number, end: number) => ({ text, start, end });
  const scored = [
    { span: span(0, 0, 5), logp: Math.log(0.4) },
    { span: span(0, 0, 9), logp: Math.log(0.2) }, // overlaps the chosen span
    { span: span(0, 9, 12), logp: Math.log(0.1) }, // after it in the same text
    { span: span(1, 0, 5), logp: Math.log(0.3) }, // same offsets, another text
  ];

  it('gives the chosen span its share of all spans scored, and the spans overlapping it theirs', () => {
    const share = spanShares(scored, span(0, 0, 5));
    expect(share.span).toBeCloseTo(0.4);
    expect(share.overlapping).toBeCloseTo(0.6);
  });

  it('is 1 and 1 for the only span scored', () => {
    expect(spanShares([{ span: span(0, 2, 4), logp: -30 }], span(0, 2, 4))).toEqual({ span: 1, overlapping: 1 });
  });
});
