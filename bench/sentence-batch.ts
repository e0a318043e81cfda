// The sentence embeddings the similarity gate compares (encoder/onnx-encoder.ts embedSentences: one MiniLM
// pass per sentence) against one padded batch per passage, over the first 40 SQuAD validation paragraphs:
// time per paragraph and how far the batch moves the embeddings (the int8 encoder's activation scales are
// per call). 47th session: no faster, so not taken (docs/experiments.md, "The similarity gate reads sentences").
//   node --import tsx bench/sentence-batch.ts
import { loadBundle, padBatch, release } from '../bundle/index.ts';
import { OnnxEncoder } from '../encoder/index.ts';
import { sentenceSpans } from '../core/sentences.ts';
import { readSquad } from './squad.ts';
const bundle = await loadBundle('bundles/default', { models: ['encoder'] });
const enc = new OnnxEncoder(bundle);
const ps = readSquad('../shared/data/squad/squad-1.1-validation.jsonl').slice(0, 40);
const t0 = performance.now();
const one: Float32Array[] = [];
for (const p of ps) one.push(await enc.embedSentences(p.context));
const t1 = performance.now();
let maxDiff = 0;
for (const [k, p] of ps.entries()) {
  const texts = sentenceSpans(p.context).map(({ start, end }) => p.context.slice(start, end));
  if (texts.length < 2) continue;
  const ids = texts.map((t) => bundle.encoderTokenizer.encode(t, true));
  const { ids: t, mask } = padBatch(ids);
  const out = await bundle.sessions.encoder.run({ input_ids: t, attention_mask: mask });
  const e = out.embedding.data as Float32Array;
  for (let i = 0; i < e.length; i++) maxDiff = Math.max(maxDiff, Math.abs(e[i] - one[k][i]));
  release(out.token_states, out.embedding, t, mask);
}
const t2 = performance.now();
console.log(`one by one ${((t1 - t0) / ps.length).toFixed(1)} ms/paragraph, batched ${((t2 - t1) / ps.length).toFixed(1)} ms/paragraph, max |diff| ${maxDiff.toFixed(4)}`);
