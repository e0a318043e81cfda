import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadBundle, release, type Bundle } from '../bundle/index.ts';
import { answerNll, buildPrompt } from '../lm/index.ts';
import { lmFeeds, logProbs, pastFeeds, presentsOf } from '../lm/past.ts';
import { TINY_BUNDLE } from './helpers.ts';

// The answer NLL that judges the memory (eval/gap.ts) scores the answer in one teacher-forced pass; the
// same tokens read one at a time through the KV cache, as decoding reads them, must score the same.
describe('answer NLL (tiny bundle)', () => {
  let bundle: Bundle;
  beforeAll(async () => {
    bundle = await loadBundle(TINY_BUNDLE, { threads: 1 });
  });
  afterAll(async () => bundle?.close());

  it('equals the NLL of the answer tokens read one by one through the cache', async () => {
    const { manifest, lmTokenizer: tok } = bundle;
    const prompt = buildPrompt(manifest, 'When was the tower finished?', ['The tower was finished in 1889.']);
    const answer = '1889';
    const promptIds = tok.encode(prompt, false);
    const answerIds = tok.encode(answer + manifest.prompt.answer_suffix, false);
    let past = Object.values(pastFeeds(manifest, null));
    let out = await bundle.sessions.lm.run(lmFeeds(manifest, promptIds, past, 0));
    let position = promptIds.length;
    let total = 0;
    for (const id of answerIds) {
      const rows = (out.logits.dims[1] as number) - 1;
      total -= logProbs(out.logits.data as Float32Array, rows, manifest.dims.lm_vocab, [id])[0];
      release(...past, out.logits);
      past = presentsOf(manifest, out);
      out = await bundle.sessions.lm.run(lmFeeds(manifest, [id], past, position++));
    }
    release(...Object.values(out), ...past);
    const nll = await answerNll(bundle, prompt, answer, null);
    expect(nll).toBeGreaterThan(0);
    expect(nll).toBeCloseTo(total / answerIds.length, 3);
  });
});
