/**
 * Words too common to tell passages apart. Leaving them out of a keyword query changes BM25's ranking
 * little (their IDF is near zero) but keeps FTS5 from scoring nearly every passage for a question
 * that contains "the".
 */
const STOPWORDS = new Set(
  ('a an and are as at be been but by did do does for from had has have how i in is it its of on or that the their there ' +
    'these this those to was were what when where which who whom whose why will with').split(' '),
);

/** The text's distinct words, lowercased (letters and digits). */
export const wordSet = (text: string): Set<string> => new Set(text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []);

/** The text's words that tell passages apart: its words less the stopwords. */
export const contentWords = (text: string): string[] => [...wordSet(text)].filter((t) => !STOPWORDS.has(t));

/** An FTS5 query matching any of the text's words (each quoted, so no word is read as an operator); null when none is left. */
export function keywordQuery(text: string): string | null {
  const terms = contentWords(text);
  return terms.length ? terms.map((t) => `"${t}"`).join(' OR ') : null;
}
