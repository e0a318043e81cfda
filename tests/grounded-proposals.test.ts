import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadBundle, type Bundle } from '../bundle/index.ts';
import { buildPrompt, Generator, type Grounding } from '../lm/index.ts';
import { TINY_BUNDLE } from './helpers.ts';

// Grounded span scoring with a reader's proposals (answer/answerer.ts): only the proposed spans are read,
// each weighed by its reader score plus lmWeight x the LM's length-normalised log-probability.
describe('grounded answers from proposed spans (tiny bundle)', () => {
  let bundle: Bundle;
  const passage = 'The Eiffel Tower was completed in 1889 for the World Fair in Paris. It is 330 metres tall and was the tallest structure in the world until 1930.';
  const long = passage.indexOf('It is'); // "It is 330 ... until 1930": 15 words, past the LM's own 10-word spans
  const span = (text: string, score: number) => ({ text: 0, start: passage.indexOf(text), end: passage.indexOf(text) + text.length, score });
  const prompt = () => buildPrompt(bundle.manifest, 'When was the tower completed?', [passage]);
  const answer = (grounding: Omit<Grounding, 'stopBias'>) => new Generator(bundle).generate(prompt(), null, { maxNewTokens: 8, grounding: { stopBias: 0, ...grounding } });

  beforeAll(async () => {
    bundle = await loadBundle(TINY_BUNDLE, { threads: 1 });
  });
  afterAll(async () => bundle?.close());

  it('answers with a proposed span, any length, and the reader score decides when the LM has no weight', async () => {
    const spans = [span('1889', 0), span(passage.slice(long, -1), 5)];
    const got = await answer({ texts: [passage], proposals: { spans, lmWeight: 0 } });
    expect(got.text).toBe(passage.slice(long, -1));
    expect(got.span).toEqual({ text: 0, start: long, end: passage.length - 1 });
    const flipped = await answer({ texts: [passage], proposals: { spans: [span('1889', 5), spans[1]], lmWeight: 0 } });
    expect(flipped.text).toBe('1889');
    // the LM's weight can overrule a reader score: with the scores equal, its likelihood decides
    const even = await answer({ texts: [passage], proposals: { spans: [span('1889', 0), span('330 metres', 0)], lmWeight: 1 } });
    expect(['1889', '330 metres']).toContain(even.text);
    expect(even.spanShare!.span).toBeGreaterThan(0); // both were scored, and only they
    expect(even.spanShare!.span).toBeLessThan(1);
  });

  it('without proposals, scores its own word starts (spans of at most 10 words)', async () => {
    const got = await answer({ texts: [passage], proposals: { spans: [], lmWeight: 0.5 } });
    expect(passage).toContain(got.text);
    expect(got.text.split(/\s+/).length).toBeLessThanOrEqual(10);
  });
});
