import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadBundle, type Bundle } from '../bundle/index.ts';
import { buildPrompt, exampleAnswers, Generator } from '../lm/index.ts';
import { copies } from '../lm/generate.ts';
import { DEFAULT_BUNDLE } from './helpers.ts';

// A free-text answer that begins with a word it may not (an answer-form example's, lm/prompt.ts) is decoded
// again with its first token barred, and a stream never shows the copy. Asked an example's own question,
// the default bundle's LM answers with the example's answer, so that is the copy to bar.
describe('an answer that would copy an answer-form example (default bundle)', () => {
  let bundle: Bundle;
  beforeAll(async () => {
    if (!existsSync(join(DEFAULT_BUNDLE, 'manifest.json'))) throw new Error(`No default bundle at ${DEFAULT_BUNDLE}: run \`npm run setup\``);
    bundle = await loadBundle(DEFAULT_BUNDLE, { threads: 2, models: ['lm'], verifyHashes: false });
  }, 120_000);
  afterAll(async () => bundle?.close());

  it('is decoded again with its first token barred, and its stream shows only the answer given', async () => {
    expect(exampleAnswers(bundle.manifest)).toContain('Dubai International');
    const generator = new Generator(bundle, { promptCacheBytes: 64 << 20 });
    const prompt = buildPrompt(bundle.manifest, 'What airport is home to the Emirates post mail hub?');
    const free = await generator.generate(prompt, null, { maxNewTokens: 8 });
    expect(copies(free.text, ['Dubai'], true)).toBe(true);
    const pieces: string[] = [];
    const again = await generator.generate(prompt, null, { maxNewTokens: 8, avoidStarts: ['2008', 'Dubai'], onText: (t) => pieces.push(t) });
    expect(again.text.length).toBeGreaterThan(0);
    expect(copies(again.text, ['2008', 'Dubai'], true)).toBe(false);
    expect(again.tokens[0]).not.toBe(free.tokens[0]);
    expect(pieces.join('').trim()).toBe(again.text);
    expect(pieces.join('')).not.toMatch(/^\s*Dubai/);
    // nothing to avoid: the answer it gave first
    expect((await generator.generate(prompt, null, { maxNewTokens: 8, avoidStarts: [] })).tokens).toEqual(free.tokens);
  }, 60_000);
});
