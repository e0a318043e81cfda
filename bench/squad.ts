import { readFileSync } from 'node:fs';

export interface SquadParagraph {
  id: string;
  title: string;
  context: string;
  qas: { id: string; question: string; answers: string[] }[];
}

export interface SquadQuestion {
  question: string;
  answers: string[];
  paragraphId: string;
}

/** One paragraph per line, as written by the data preparation step. */
export function readSquad(path: string): SquadParagraph[] {
  const paragraphs = readFileSync(path, 'utf8').split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l) as SquadParagraph);
  const ids = new Set(paragraphs.map((p) => documentId(p.id)));
  if (ids.size !== paragraphs.length) throw new Error(`${path}: paragraph ids collide once made valid document ids`);
  return paragraphs;
}

/** The webhook body for a paragraph; SQuAD titles use underscores for spaces. */
export const toDocument = (p: SquadParagraph) => ({ id: documentId(p.id), title: p.title.replace(/_/g, ' '), source: 'squad-1.1-validation', text: p.context });

/** Where a paragraph lies when its whole article is ingested as one document: that document and the paragraph's characters in its text. */
export interface ArticlePlace {
  documentId: string;
  text: string;
  start: number;
  end: number;
}

/**
 * One document per article, as a page arrives: its paragraphs in file order separated by blank lines, so
 * the service's splitter decides where passages end. Returns the documents and each paragraph's place.
 */
export function toArticleDocuments(paragraphs: SquadParagraph[]) {
  const titles = [...new Set(paragraphs.map((p) => p.title))];
  const places = new Map<string, ArticlePlace>();
  const documents = titles.map((title) => {
    const id = documentId(title);
    const parts = paragraphs.filter((p) => p.title === title);
    const text = parts.map((p) => p.context).join('\n\n');
    let start = 0;
    for (const p of parts) {
      places.set(p.id, { documentId: id, text, start, end: start + p.context.length });
      start += p.context.length + 2;
    }
    return { id, title: title.replace(/_/g, ' '), source: 'squad-1.1-validation', text };
  });
  return { documents, places };
}

/** SQuAD ids carry titles ("Fresno,_California#0") with characters document ids do not allow. */
export const documentId = (squadId: string) => squadId.replace(/[^\w.:\/@#-]/g, '_');

export function firstQuestions(paragraphs: SquadParagraph[], n: number): SquadQuestion[] {
  return paragraphs.flatMap((p) => p.qas.map((q) => ({ question: q.question, answers: q.answers, paragraphId: p.id }))).slice(0, n);
}
