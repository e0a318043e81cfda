import type { MemorySpec } from '../bundle/index.ts';

/**
 * Which positions of a passage's context turn its memory keeps, in order. `salient`: the first token
 * (the attention sink every later position leans on), then the tokens that start a capitalised word or
 * hold a digit (names, dates, numbers: what factual answers are made of), then, if the passage has too
 * few, its last positions. `uniform`: evenly spaced positions (the control).
 */
export function selectSlots(tokenTexts: string[], spec: Pick<MemorySpec, 'selection' | 'slots'>): number[] {
  const n = tokenTexts.length;
  const want = Math.min(spec.slots, n);
  if (want === n) return tokenTexts.map((_, i) => i);
  if (spec.selection === 'uniform') return Array.from({ length: want }, (_, j) => Math.round((j * (n - 1)) / Math.max(want - 1, 1)));
  const keep = new Set<number>([0]);
  for (let i = 1; i < n && keep.size < want; i++) if (isSalient(tokenTexts[i], tokenTexts[i - 1])) keep.add(i);
  for (let i = n - 1; keep.size < want; i--) keep.add(i);
  return [...keep].sort((a, b) => a - b);
}

/** A token that starts a capitalised word (after a space or a non-letter), or that holds a digit. */
export function isSalient(text: string, previous: string): boolean {
  if (/\d/.test(text)) return true;
  const startsWord = /^\s/.test(text) || !/[\p{L}\p{N}]$/u.test(previous);
  return startsWord && /^\s*\p{Lu}/u.test(text);
}
