import { release, type Bundle } from '../bundle/index.ts';
import type { Prefix } from '../aggregator/index.ts';
import { lmFeeds, logProbs, pastFeeds } from './past.ts';

/**
 * Mean negative log-likelihood (nats per token) of `answer` + the answer suffix after `prompt`, with an
 * optional prefix as the past: one forward pass, teacher-forced. How the memory's content is judged:
 * the same answer under the right memory, a wrong one, and none.
 */
export async function answerNll(bundle: Bundle, prompt: string, answer: string, prefix: Prefix | null): Promise<number> {
  const V = bundle.manifest.dims.lm_vocab;
  const promptIds = bundle.lmTokenizer.encode(prompt, false);
  const answerIds = bundle.lmTokenizer.encode(answer + bundle.manifest.prompt.answer_suffix, false);
  const ids = [...promptIds, ...answerIds];
  const past = Object.values(pastFeeds(bundle.manifest, prefix));
  // logits from the prompt's last token on: the token at t + 1 is predicted at t
  const out = await bundle.sessions.lm.run(lmFeeds(bundle.manifest, ids, past, prefix?.length ?? 0, promptIds.length - 1));
  const logits = out.logits.data as Float32Array;
  let total = 0;
  for (let j = 0; j < answerIds.length; j++) total -= logProbs(logits, j, V, [answerIds[j]])[0];
  release(...Object.values(out));
  return total / answerIds.length;
}
