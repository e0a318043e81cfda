import { splitForEncoder, type Encoder } from '../encoder/index.ts';
import type { SqliteStore } from '../memory/index.ts';

type Splitter = Pick<Encoder, 'countTokens' | 'maxPassageTokens'>;

/**
 * This release's passages for a stored document's text where they differ from the ones the bank holds (a
 * bank made before a change to encoder/passages.ts, or with another bundle's tokenizer); null where they match.
 */
export function splitAnew(store: Pick<SqliteStore, 'documentPassages'>, encoder: Splitter, documentId: string, text: string): string[] | null {
  const split = splitForEncoder(text, encoder);
  const stored = store.documentPassages(documentId).map((row) => row.text);
  return split.length === stored.length && split.every((t, i) => t === stored[i]) ? null : split;
}

/**
 * How many of the first indexed documents (by id) this release would split otherwise: a start-up check,
 * cheap enough to run on every start. It reads up to `sample` documents and stops once it has split
 * `maxChars` characters of text (the first document always), so a bank of long pages does not hold the
 * start for seconds; `npm run reindex` splits the whole bank anew.
 */
export function splitOtherwise(
  store: Pick<SqliteStore, 'documentPassages' | 'indexedVersions'>, encoder: Splitter, sample = 32, maxChars = 400_000,
): { checked: number; otherwise: number } {
  let checked = 0;
  let otherwise = 0;
  let chars = 0;
  for (const v of store.indexedVersions('', sample)) {
    if (checked && chars + v.text.length > maxChars) break;
    chars += v.text.length;
    checked++;
    if (splitAnew(store, encoder, v.documentId, v.text) !== null) otherwise++;
  }
  return { checked, otherwise };
}
