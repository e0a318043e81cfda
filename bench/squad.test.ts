import { describe, expect, it } from 'vitest';
import { toArticleDocuments, type SquadParagraph } from './squad.ts';

const paragraph = (id: string, title: string, context: string): SquadParagraph => ({ id, title, context, qas: [] });

describe('toArticleDocuments', () => {
  it("makes one document per article, its paragraphs in file order between blank lines, and finds each paragraph's place", () => {
    const paragraphs = [
      paragraph('Harbor_Library#0', 'Harbor_Library', 'It opened in 2026.'),
      paragraph('Steam#0', 'Steam', 'Steam drives the engine.'),
      paragraph('Harbor_Library#1', 'Harbor_Library', 'Its director is Marta Silva.'),
    ];
    const { documents, places } = toArticleDocuments(paragraphs);
    expect(documents.map((d) => [d.id, d.title, d.text])).toEqual([
      ['Harbor_Library', 'Harbor Library', 'It opened in 2026.\n\nIts director is Marta Silva.'],
      ['Steam', 'Steam', 'Steam drives the engine.'],
    ]);
    for (const p of paragraphs) {
      const place = places.get(p.id)!;
      expect(place.text.slice(place.start, place.end)).toBe(p.context);
    }
  });
});
