import type * as ort from 'onnxruntime-node';
import { padBatch, release, type Bundle } from '../bundle/index.ts';
import type { EncodedPassage, EncodedQuestion, Encoder } from './types.ts';

const BATCH = 16;

/** One encoder forward pass over a padded batch: per-token states for the amortizer, pooled embeddings. */
interface EncoderBatch {
  states: ort.Tensor;
  embedding: ort.Tensor;
  mask: ort.Tensor;
  ids: ort.Tensor;
  lengths: number[];
}

/** The bundle's encoder + amortizer: one forward pass per batch of passages, no gradient steps. */
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

  private async runEncoder(rows: number[][]): Promise<EncoderBatch> {
    const { ids, mask, lengths } = padBatch(rows);
    const out = await this.bundle.sessions.encoder.run({ input_ids: ids, attention_mask: mask });
    return { states: out.token_states, embedding: out.embedding, mask, ids, lengths };
  }

  async encodePassages(texts: string[]): Promise<EncodedPassage[]> {
    const { dims } = this.bundle.manifest;
    const modSize = dims.mem_tokens * dims.mod_dim;
    return this.inBatches(texts, async (enc) => {
      const amo = await this.bundle.sessions.amortizer.run({ token_states: enc.states, attention_mask: enc.mask });
      const emb = enc.embedding.data as Float32Array;
      const mod = amo.modulation.data as Float32Array;
      const rows = enc.lengths.map((_, row) => ({
        embedding: emb.slice(row * this.dim, (row + 1) * this.dim),
        modulation: mod.slice(row * modSize, (row + 1) * modSize),
      }));
      release(amo.modulation as ort.Tensor);
      return rows;
    });
  }

  /** Retrieval embeddings only (no amortizer): what the index stores for each text. */
  async embedTexts(texts: string[]): Promise<Float32Array[]> {
    return this.inBatches(texts, async (enc) => {
      const emb = enc.embedding.data as Float32Array;
      return enc.lengths.map((_, row) => emb.slice(row * this.dim, (row + 1) * this.dim));
    });
  }

  /** Runs the encoder over batches of similar length (less padding) and returns `each`'s rows in input order. */
  private async inBatches<T>(texts: string[], each: (enc: EncoderBatch) => Promise<T[]>) {
    const order = texts.map((_, i) => i).sort((a, b) => texts[a].length - texts[b].length);
    const result: T[] = new Array(texts.length);
    for (let start = 0; start < order.length; start += BATCH) {
      const idx = order.slice(start, start + BATCH);
      const enc = await this.runEncoder(idx.map((i) => this.tokenize(texts[i], this.maxPassageTokens)));
      const rows = await each(enc);
      idx.forEach((i, row) => (result[i] = rows[row]));
      release(enc.states, enc.embedding, enc.ids, enc.mask);
    }
    return result;
  }

  async encodeQuestion(text: string): Promise<EncodedQuestion> {
    const enc = await this.runEncoder([this.tokenize(text, this.maxQuestionTokens)]);
    const question = {
      embedding: (enc.embedding.data as Float32Array).slice(),
      states: (enc.states.data as Float32Array).slice(),
      tokens: enc.lengths[0],
    };
    release(enc.states, enc.embedding, enc.ids, enc.mask);
    return question;
  }
}
