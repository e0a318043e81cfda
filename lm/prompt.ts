import type { Manifest } from '../bundle/index.ts';

/**
 * Fills the bundle's prompt template (mac/prompt.py): the context turn with the passages (none in base
 * and mac, where the memory stands in for it), the answer-form turns, then the question.
 */
export function buildPrompt(manifest: Manifest, question: string, passages: string[] = []): string {
  const { template, context, passage_separator } = manifest.prompt;
  // Replacer functions: a `$&` or `$'` in a passage or question is text, not a replacement pattern.
  const contextText = passages.length ? context.replace('{passages}', () => passages.join(passage_separator)) : '';
  return template.replace('{context}', () => contextText).replace('{question}', () => question.trim());
}
