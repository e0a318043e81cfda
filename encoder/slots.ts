import type { MemorySpec } from '../bundle/index.ts';

/** Bumped whenever a rule below changes, so memory banks made by the old rule are re-encoded (memoryFormat). */
export const SELECTION_REVISION = 2;

/**
 * Which positions of a passage's context turn its memory keeps, in order. `salient`: the first token
 * (the attention sink every later position leans on), then the tokens that start a capitalised word or
 * hold a digit (names, dates, numbers: what factual answers are made of), then, if the passage has too
 * few, its last positions. `words`: the same, but every token of such a word (a word split into several
 * tokens can only be copied whole if all of them are kept). `uniform`: evenly spaced positions (the control).
 */
export function selectSlots(tokenTexts: string[], spec: Pick<MemorySpec, 'selection' | 'slots'>, firstPassageToken = 1): number[] {
  const n = tokenTexts.length;
  const want = Math.min(spec.slots, n);
  if (want === n) return tokenTexts.map((_, i) => i);
  if (spec.selection === 'uniform') return Array.from({ length: want }, (_, j) => Math.round((j * (n - 1)) / Math.max(want - 1, 1)));
  const keep = new Set<number>([0]);
  const salient = spec.selection === 'words' ? salientWords(tokenTexts) : tokenTexts.map((t, i) => i > 0 && isSalient(t, tokenTexts[i - 1]));
  // salient tokens of the passage itself, not of the turn's own header ("Context:")
  for (let i = Math.max(firstPassageToken, 1); i < n && keep.size < want; i++) if (salient[i]) keep.add(i);
  for (let i = n - 1; keep.size < want; i--) keep.add(i);
  return [...keep].sort((a, b) => a - b);
}

/** A token that starts a capitalised word (after a space or a non-letter), or that holds a digit. */
export function isSalient(text: string, previous: string): boolean {
  if (/\d/.test(text)) return true;
  const startsWord = /^\s/.test(text) || !/[\p{L}\p{N}]$/u.test(previous);
  return startsWord && /^\s*\p{Lu}/u.test(text);
}

/** Per token: whether it belongs to a word that starts with a capital letter or holds a digit. */
export function salientWords(tokenTexts: string[]): boolean[] {
  const out = new Array<boolean>(tokenTexts.length).fill(false);
  let start = 0;
  const close = (end: number) => {
    const word = tokenTexts.slice(start, end);
    const first = start > 0 ? isSalient(tokenTexts[start], tokenTexts[start - 1]) : false;
    if (first || word.some((t) => /\d/.test(t))) for (let i = Math.max(start, 1); i < end; i++) out[i] = true;
  };
  for (let i = 1; i < tokenTexts.length; i++) {
    // a new word starts at whitespace or where a letter/digit follows a non-letter (punctuation, newline)
    const boundary = /^\s/.test(tokenTexts[i]) || !/[\p{L}\p{N}]$/u.test(tokenTexts[i - 1]) || !/^[\p{L}\p{N}]/u.test(tokenTexts[i]);
    if (boundary) {
      close(i);
      start = i;
    }
  }
  close(tokenTexts.length);
  return out;
}
