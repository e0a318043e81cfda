export { Generator, type GenerateOptions, type Generation } from './generate.ts';
export { spanStarts, type Grounding, type Span, type SpanShare } from './grounding.ts';
export { buildPrompt, exampleAnswers, exampleStarts, type Turn } from './prompt.ts';
export { rotateKey } from './rope.ts';
export { answerNll } from './nll.ts';
export { pastFeeds } from './past.ts';
export { neutralize, NEUTRALIZE_REVISION } from './neutralize.ts';
