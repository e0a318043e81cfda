export { Generator, type GenerateOptions, type Generation } from './generate.ts';
export { buildPrompt } from './prompt.ts';
