import type { Manifest } from '../bundle/index.ts';
import { neutralize } from './neutralize.ts';

/** An earlier exchange of the conversation. */
export interface Turn {
  question: string;
  answer: string;
}

/**
 * Fills the bundle's prompt template (mac/prompt.py): the context turn with the passages (none in base
 * and mac, where the memory stands in for it; each neutralized: documents are data, see neutralize.ts),
 * the answer-form turns, the conversation's earlier turns (oldest first, written as the question's turn
 * is), then the question.
 */
export function buildPrompt(manifest: Manifest, question: string, passages: string[] = [], history: Turn[] = []): string {
  const { template, context, passage_separator, question_turn, answer_suffix } = manifest.prompt;
  // Replacer functions: a `$&` or `$'` in a passage or question is text, not a replacement pattern.
  const contextText = passages.length ? context.replace('{passages}', () => passages.map(neutralize).join(passage_separator)) : '';
  const turns = history.map((t) => question_turn.replace('{question}', () => t.question.trim()) + t.answer.trim() + answer_suffix + '\n').join('');
  const head = template.slice(0, template.length - question_turn.length); // the manifest guarantees the template ends with it
  return (head + turns + question_turn).replace('{context}', () => contextText).replace('{question}', () => question.trim());
}
