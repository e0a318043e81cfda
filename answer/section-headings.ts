import { sectionsOf } from '../core/sections.ts';
import type { Word } from './span-rules.ts';

/**
 * How the reader's spans in headed sections are weighed (docs/experiments.md, "Headed sections"): the
 * reader, trained on prose, does not bind a list to the heading above it ("What was removed?" answered
 * from the "Added" list). A span in one of a text's sibling sections (core/sections.ts) loses
 * SECTION_WEIGHT per unit of cosine its heading lies below the heading nearest the question; text outside
 * them does not move. Chosen on eval/sections' first 8 documents.
 */
const SECTION_WEIGHT = 32;

/** The sibling sections' headings of the texts: what is embedded to weigh their sections. */
export function sectionHeadings(texts: string[]): string[] {
  return [...new Set(texts.flatMap((text) => sectionsOf(text).map((s) => text.slice(s.heading.start, s.heading.end))))];
}

/** Each of the text's words' penalty (null for a text without sibling sections): `similarity` maps a heading's text to its cosine with the question. */
export function sectionPenalties(text: string, words: Word[], similarity: ReadonlyMap<string, number>): Float32Array | null {
  const sections = sectionsOf(text);
  if (!sections.length) return null;
  const cosines = sections.map((s) => similarity.get(text.slice(s.heading.start, s.heading.end)));
  const known = cosines.filter((c): c is number => c !== undefined);
  if (!known.length) return null;
  const nearest = Math.max(...known);
  const penalties = new Float32Array(words.length);
  sections.forEach((s, i) => {
    const c = cosines[i];
    if (c === undefined) return;
    for (const [k, w] of words.entries()) if (w.start >= s.start && w.end <= s.end) penalties[k] = SECTION_WEIGHT * (nearest - c);
  });
  return penalties;
}
