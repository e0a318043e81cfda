import type * as ort from 'onnxruntime-node';
import { padBatch, release, type Bundle } from '../bundle/index.ts';
import type { EncodedPassage, EncodedQuestion, Encoder } from './types.ts';

/** One encoder forward pass over one text: per-token states for the amortizer, pooled embedding. */
interface EncoderPass {
  states: ort.Tensor;
  embedding: ort.Tensor;
  mask: ort.Tensor;
  ids: ort.Tensor;
  tokens: number;
}

/** The bundle's encoder + amortizer: one forward pass per passage, no gradient steps. */
export class OnnxEncoder implements Encoder {
  readonly dim: number;
  readonly maxPassageTokens: number;
  private readonly maxQuestionTokens: number;

  constructor(private readonly bundle: Bundle) {
    this.dim = bundle.manifest.dims.encoder_dim;
    this.maxPassageTokens = bundle.manifest.limits.max_passage_tokens;
    this.maxQuestionTokens = bundle.manifest.limits.max_question_tokens;
  }

  countTokens(text: string): number {
    return this.bundle.encoderTokenizer.encode(text, false).length;
  }

  private tokenize(text: string, limit: number): number[] {
    const ids = this.bundle.encoderTokenizer.encode(text, true);
    // Keep [SEP] at the end when truncating, as the Python tokenizer does.
    return ids.length <= limit ? ids : [...ids.slice(0, limit - 1), ids[ids.length - 1]];
  }

  private async runEncoder(text: string, limit: number): Promise<EncoderPass> {
    const { ids, mask, lengths } = padBatch([this.tokenize(text, limit)]);
    const out = await this.bundle.sessions.encoder.run({ input_ids: ids, attention_mask: mask });
    return { states: out.token_states, embedding: out.embedding, mask, ids, tokens: lengths[0] };
  }

  /**
   * One forward pass per passage, no padding. onnxruntime-node runs a session on the calling thread, so
   * a batch of 16 held the event loop for about a second (webhook acknowledgements waited: POST p50 763 ms
   * against 52 ms now), padding cost work, and the int8 encoder's per-call activation scales made a
   * passage's modulation depend on its batchmates. Alone, the same text always gets the same modulation.
   * (Throughput: 24.2 paragraphs/s end to end against 15.5 batched, with spinning off; see bundle/load.ts.)
   */
  async encodePassages(texts: string[]): Promise<EncodedPassage[]> {
    const result: EncodedPassage[] = [];
    for (const text of texts) {
      const enc = await this.runEncoder(text, this.maxPassageTokens);
      const amo = await this.bundle.sessions.amortizer.run({ token_states: enc.states, attention_mask: enc.mask });
      result.push({ embedding: (enc.embedding.data as Float32Array).slice(), modulation: (amo.modulation.data as Float32Array).slice() });
      release(amo.modulation as ort.Tensor, enc.states, enc.embedding, enc.ids, enc.mask);
    }
    return result;
  }

  /** Retrieval embeddings only (no amortizer): what the index stores for each text. */
  async embedTexts(texts: string[]): Promise<Float32Array[]> {
    const result: Float32Array[] = [];
    for (const text of texts) {
      const enc = await this.runEncoder(text, this.maxPassageTokens);
      result.push((enc.embedding.data as Float32Array).slice());
      release(enc.states, enc.embedding, enc.ids, enc.mask);
    }
    return result;
  }

  async encodeQuestion(text: string): Promise<EncodedQuestion> {
    const enc = await this.runEncoder(text, this.maxQuestionTokens);
    const question = {
      embedding: (enc.embedding.data as Float32Array).slice(),
      states: (enc.states.data as Float32Array).slice(),
      tokens: enc.tokens,
    };
    release(enc.states, enc.embedding, enc.ids, enc.mask);
    return question;
  }
}
