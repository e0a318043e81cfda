import type { Encoder } from './types.ts';

/** A document's passages as `encoder` takes them: what the ingestion worker encodes. */
export function splitForEncoder(text: string, encoder: Pick<Encoder, 'countTokens' | 'maxPassageTokens'>): string[] {
  return splitPassages(text, (s) => encoder.countTokens(s), encoder.maxPassageTokens);
}

/**
 * Splits a document into passages that fit the sentence encoder: sentences (split after . ! ?) are packed
 * greedily while the passage stays within `maxTokens - 2` encoder tokens ([CLS] and [SEP] take two); a
 * sentence longer than that is cut into word chunks that fit.
 */
export function splitPassages(text: string, countTokens: (s: string) => number, maxTokens: number): string[] {
  const budget = maxTokens - 2;
  const sentences = text.split(/(?<=[.!?])\s+/).map((s) => s.trim()).filter(Boolean);
  const passages: string[] = [];
  let current = '';
  const push = () => {
    if (current) passages.push(current);
    current = '';
  };
  for (const sentence of sentences) {
    const candidate = current ? `${current} ${sentence}` : sentence;
    if (countTokens(candidate) <= budget) {
      current = candidate;
      continue;
    }
    push();
    if (countTokens(sentence) <= budget) {
      current = sentence;
      continue;
    }
    for (const word of sentence.split(/\s+/)) {
      const withWord = current ? `${current} ${word}` : word;
      if (countTokens(withWord) <= budget || !current) current = withWord;
      else {
        push();
        current = word;
      }
    }
  }
  push();
  return passages;
}
