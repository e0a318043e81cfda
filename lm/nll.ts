import type * as ort from 'onnxruntime-node';
import { int64, release, type Bundle } from '../bundle/index.ts';
import type { Prefix } from '../aggregator/index.ts';
import { pastFeeds } from './past.ts';

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
  const P = prefix?.length ?? 0;
  const feeds: Record<string, ort.Tensor> = {
    input_ids: int64(ids, [1, ids.length]),
    attention_mask: int64(new Array(P + ids.length).fill(1), [1, P + ids.length]),
    position_ids: int64(ids.map((_, i) => P + i), [1, ids.length]),
    ...pastFeeds(bundle.manifest, prefix),
  };
  const out = await bundle.sessions.lm.run(feeds);
  const logits = out.logits.data as Float32Array;
  let total = 0;
  for (let j = 0; j < answerIds.length; j++) {
    const row = (promptIds.length - 1 + j) * V; // the token at t + 1 is predicted at t
    let max = -Infinity;
    for (let v = 0; v < V; v++) max = Math.max(max, logits[row + v]);
    let sum = 0;
    for (let v = 0; v < V; v++) sum += Math.exp(logits[row + v] - max);
    total += Math.log(sum) + max - logits[row + answerIds[j]];
  }
  release(...Object.values(out));
  return total / answerIds.length;
}
