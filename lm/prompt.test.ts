import { describe, expect, it } from 'vitest';
import type { Manifest } from '../bundle/index.ts';
import { buildPrompt, exampleAnswers, exampleStarts } from './prompt.ts';

// The layout of mac/prompt.py, two answer-form turns.
const QUESTION_TURN = '<|im_start|>user\nQuestion: {question}\nAnswer briefly.<|im_end|>\n<|im_start|>assistant\n';
const shot = (q: string, a: string) => QUESTION_TURN.replace('{question}', q) + a + '<|im_end|>\n';
const manifest = {
  prompt: {
    template: '{context}' + shot('In what year did the earthquake in Sichuan occur?', '2008') + shot('What airport is home to the Emirates post mail hub?', 'Dubai International') + QUESTION_TURN,
    context: '<|im_start|>system\nContext:\n{passages}<|im_end|>\n', passage_separator: '\n\n', question_turn: QUESTION_TURN, answer_suffix: '<|im_end|>',
  },
} as unknown as Manifest;

describe('the answer-form examples', () => {
  it('are read from the template, in order', () => {
    expect(exampleAnswers(manifest)).toEqual(['2008', 'Dubai International']);
    expect(buildPrompt(manifest, 'Who?')).toContain('Dubai International<|im_end|>');
  });

  it('their first words, each once, are what an answer may not begin with (answer/answerer.ts startsNotRead)', () => {
    expect(exampleStarts(manifest)).toEqual(['2008', 'Dubai']);
  });
});
