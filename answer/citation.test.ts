import { describe, expect, it } from 'vitest';
import { sentenceAround, sentenceStarts } from './citation.ts';

const cited = (text: string, answer: string) => {
  const at = text.indexOf(answer);
  const { start, end } = sentenceAround(text, at, at + answer.length);
  return text.slice(start, end);
};

describe('citations', () => {
  const text = 'The bridge opened in 1932. It was designed by Dr. Tomas Okafor of the U.S. Army. "Who paid?" asked the council.\nThe toll ended in 1961!  Repairs followed.';

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
});
