import type { Manifest } from '../bundle/index.ts';

/** Fills the bundle's prompt template: the same text the networks were trained and evaluated with. */
export function buildPrompt(manifest: Manifest, question: string, passages: string[] = []): string {
  const { template, context, passage_separator } = manifest.prompt;
  const contextText = passages.length ? context.replace('{passages}', passages.join(passage_separator)) : '';
  return template.replace('{context}', contextText).replace('{question}', question.trim());
}
