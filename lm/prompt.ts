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

/**
 * The answers of the template's answer-form turns ("2008", "Russia", "slave trade", "Dubai International"):
 * what a free-text answer must not copy (lm/generate.ts `avoidStarts`, `exampleStarts` below).
 */
export function exampleAnswers(manifest: Manifest): string[] {
  const { template, question_turn, answer_suffix } = manifest.prompt;
  const [before, after] = question_turn.split('{question}');
  const head = template.slice(0, template.length - question_turn.length);
  const answers: string[] = [];
  for (let at = head.indexOf(before); at >= 0; at = head.indexOf(before, at + 1)) {
    const asked = head.indexOf(after, at + before.length);
    const ends = asked < 0 ? -1 : head.indexOf(answer_suffix, asked + after.length);
    if (ends >= 0) answers.push(head.slice(asked + after.length, ends).trim());
  }
  return answers.filter(Boolean);
}

/** The first words of the example answers, each once ("2008", "Russia", "slave", "Dubai"): what a free-text answer may not begin with, unless a text it reads holds it. */
export function exampleStarts(manifest: Manifest): string[] {
  return [...new Set(exampleAnswers(manifest).map((a) => a.match(/^[\p{L}\p{N}]+/u)?.[0] ?? '').filter(Boolean))];
}
