import type * as ort from 'onnxruntime-node';
import { padBatch, release, type Bundle } from '../bundle/index.ts';
import type { EncodedPassage, EncodedQuestion, Encoder } from './types.ts';

const BATCH = 16;

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

  private async runEncoder(rows: number[][]) {
    const { ids, mask, lengths } = padBatch(rows);
    const out = await this.bundle.sessions.encoder.run({ input_ids: ids, attention_mask: mask });
    return { states: out.token_states, embedding: out.embedding, mask, ids, lengths };
  }

  async encodePassages(texts: string[]): Promise<EncodedPassage[]> {
    const order = texts.map((_, i) => i).sort((a, b) => texts[a].length - texts[b].length);
    const result: EncodedPassage[] = new Array(texts.length);
    const { dims } = this.bundle.manifest;
    const modSize = dims.mem_tokens * dims.mod_dim;
    for (let start = 0; start < order.length; start += BATCH) {
      const idx = order.slice(start, start + BATCH);
      const enc = await this.runEncoder(idx.map((i) => this.tokenize(texts[i], this.maxPassageTokens)));
      const amo = await this.bundle.sessions.amortizer.run({ token_states: enc.states, attention_mask: enc.mask });
      const emb = enc.embedding.data as Float32Array;
      const mod = amo.modulation.data as Float32Array;
      idx.forEach((i, row) => {
        result[i] = {
          embedding: emb.slice(row * this.dim, (row + 1) * this.dim),
          modulation: mod.slice(row * modSize, (row + 1) * modSize),
        };
      });
      release(enc.states, enc.embedding, enc.ids, enc.mask, amo.modulation as ort.Tensor);
    }
    return result;
  }

  /** Retrieval embeddings only (no amortizer): what the index stores for each text. */
  async embedTexts(texts: string[]): Promise<Float32Array[]> {
    const result: Float32Array[] = [];
    for (let start = 0; start < texts.length; start += BATCH) {
      const batch = texts.slice(start, start + BATCH);
      const enc = await this.runEncoder(batch.map((t) => this.tokenize(t, this.maxPassageTokens)));
      const emb = enc.embedding.data as Float32Array;
      batch.forEach((_, row) => result.push(emb.slice(row * this.dim, (row + 1) * this.dim)));
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
