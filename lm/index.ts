export { Generator, type GenerateOptions, type Generation } from './generate.ts';
export { buildPrompt } from './prompt.ts';
export { rotateKey } from './rope.ts';
export { answerNll } from './nll.ts';
export { pastFeeds } from './past.ts';
