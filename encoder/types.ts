import type { StoredMemory } from '../memory/types.ts';

/** A passage as the memory stores it: the retrieval embedding and its memory (bundle/memory-layout.ts). */
export interface EncodedPassage {
  embedding: Float32Array; // [E], L2-normalized
  /**
   * Its memory, [slots * layers * 2 * kv heads * head dim] values, already in the store's codec: quantizing
   * a default-bundle memory takes ~6 ms, which the encoding thread spends, not the event loop.
   */
  memory: StoredMemory;
  /** Each sentence's retrieval embedding, [sentences * E], what the similarity gate compares; empty for a passage of one sentence. */
  sentenceEmbeddings: Float32Array;
}

/** A question as retrieval reads it: its embedding. */
export interface EncodedQuestion {
  embedding: Float32Array; // [E], L2-normalized
}

export interface Encoder {
  readonly dim: number;
  readonly maxPassageTokens: number;
  countTokens(text: string): number;
  /** Each document's passages as this encoder takes them (encoder/passages.ts): what the ingestion worker encodes. */
  splitDocuments(texts: string[]): Promise<string[][]>;
  encodePassages(texts: string[]): Promise<EncodedPassage[]>;
  encodeQuestion(text: string): Promise<EncodedQuestion>;
}
