/** A passage as the memory stores it: the retrieval embedding and its memory (bundle/memory-layout.ts). */
export interface EncodedPassage {
  embedding: Float32Array; // [E], L2-normalized
  modulation: Float32Array; // [slots * layers * 2 * kv heads * head dim]
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
