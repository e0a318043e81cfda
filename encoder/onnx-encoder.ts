import { padBatch, release, type Bundle } from '../bundle/index.ts';
import { sentencesToEmbed } from '../core/sentences.ts';
import { storedMemory } from '../memory/codec.ts';
import type { Codec } from '../memory/types.ts';
import { KvMemoryEncoder } from './kv-memory.ts';
import { splitForEncoder } from './passages.ts';
import type { EncodedPassage, EncodedQuestion, Encoder } from './types.ts';


/**
 * A passage becomes its retrieval embedding (the sentence encoder) and its memory (the frozen LM's own
 * key/values, KvMemoryEncoder): one forward pass of each, no gradient steps.
 */
export class OnnxEncoder implements Encoder {
  readonly dim: number;
  readonly maxPassageTokens: number;
  private readonly maxQuestionTokens: number;
  private readonly memory: KvMemoryEncoder;

  /** `codec`: how the memory bank stores memories (MODULATION_CODEC, else the bundle's); passages come out in it. */
  constructor(private readonly bundle: Bundle, readonly codec: Codec = bundle.manifest.memory.codec) {
    this.memory = new KvMemoryEncoder(bundle);
    this.dim = bundle.manifest.dims.encoder_dim;
    this.maxPassageTokens = bundle.manifest.limits.max_passage_tokens;
    this.maxQuestionTokens = bundle.manifest.limits.max_question_tokens;
  }

  countTokens(text: string): number {
    return this.bundle.encoderTokenizer.encode(text, false).length;
  }

  async splitDocuments(texts: string[]): Promise<string[][]> {
    return texts.map((text) => splitForEncoder(text, this));
  }

  private tokenize(text: string, limit: number): number[] {
    const ids = this.bundle.encoderTokenizer.encode(text, true);
    // Keep [SEP] at the end when truncating, as the Python tokenizer does.
    return ids.length <= limit ? ids : [...ids.slice(0, limit - 1), ids[ids.length - 1]];
  }

  /** One encoder forward pass over one text: its pooled, normalized embedding. */
  private async embed(text: string, limit: number): Promise<Float32Array> {
    const { ids, mask } = padBatch([this.tokenize(text, limit)]);
    const out = await this.bundle.sessions.encoder.run({ input_ids: ids, attention_mask: mask });
    const embedding = (out.embedding.data as Float32Array).slice();
    release(out.token_states, out.embedding, ids, mask);
    return embedding;
  }

  /**
   * One forward pass per passage, no padding. onnxruntime-node runs a session on the calling thread, so a
   * batch held the event loop (webhook acknowledgements waited behind it), and the int8 encoder's per-call
   * activation scales made a passage's embedding depend on its batchmates. Alone, a text always gets the
   * same embedding and memory.
   */
  async encodePassages(texts: string[]): Promise<EncodedPassage[]> {
    const result: EncodedPassage[] = [];
    for (const text of texts) {
      const embedding = await this.embed(text, this.maxPassageTokens);
      result.push({ embedding, memory: storedMemory(await this.memory.encode(text), this.codec), sentenceEmbeddings: await this.embedSentences(text) });
    }
    return result;
  }

  /**
   * Each sentence's retrieval embedding, one after another ([sentences * E]): a question about one sentence
   * of a passage is nearer that sentence than the whole passage (the similarity gate reads both). Empty for
   * a passage of one sentence, whose own embedding is its sentence's.
   */
  async embedSentences(text: string): Promise<Float32Array> {
    const spans = sentencesToEmbed(text);
    const out = new Float32Array(spans.length * this.dim);
    for (const [i, { start, end }] of spans.entries()) out.set(await this.embed(text.slice(start, end), this.maxPassageTokens), i * this.dim);
    return out;
  }

  /** Retrieval embeddings only (no memory): what the index stores for each text. */
  async embedTexts(texts: string[]): Promise<Float32Array[]> {
    const result: Float32Array[] = [];
    for (const text of texts) result.push(await this.embed(text, this.maxPassageTokens));
    return result;
  }

  async encodeQuestion(text: string): Promise<EncodedQuestion> {
    return { embedding: await this.embed(text, this.maxQuestionTokens) };
  }
}
