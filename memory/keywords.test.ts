import { describe, expect, it } from 'vitest';
import { keywordQuery } from './keywords.ts';

describe('keywordQuery', () => {
  it('quotes each distinct content word and leaves out stopwords', () => {
    expect(keywordQuery('What year did the Normans reach NORMANDY? normans')).toBe('"year" OR "normans" OR "reach" OR "normandy"');
  });

  it('keeps FTS5 operators and punctuation out of the query', () => {
    expect(keywordQuery('NEAR(zebra AND "lion") -x*')).toBe('"near" OR "zebra" OR "lion" OR "x"');
  });

  it('is null when no word is left', () => {
    expect(keywordQuery('who is it? ...')).toBeNull();
  });
});
