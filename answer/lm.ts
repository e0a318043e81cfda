import { createHash } from 'node:crypto';
import { MemoryConcatenator } from '../aggregator/index.ts';
import type { Bundle } from '../bundle/index.ts';
import { Generator, type GenerateOptions, type Generation } from '../lm/index.ts';
import { decodeModulation, type StoredMemory } from '../memory/index.ts';

export interface LmGeneration extends Generation {
  /** Time to decode the memories and fuse them into the prefix (ms). */
  aggregateMs: number;
}

/** The answer path past retrieval: stored memories -> aggregator (one prefix) -> frozen LM -> text. */
export interface AnswerLm {
  promptTokens(prompt: string): number[];
  generate(prompt: string, memories: StoredMemory[], options: GenerateOptions): Promise<LmGeneration>;
}

/** In the calling thread: what the LM thread runs (answer/lm-thread.ts), and usable directly. */
export class LocalLm implements AnswerLm {
  private readonly concatenator: MemoryConcatenator;
  private readonly generator: Generator;
  /** Whether prompt passes are cached: only then are memories hashed to name their prefix. */
  private readonly caching: boolean;

  /** Options: the Generator's (continuous batching, prompt cache). */
  constructor(bundle: Bundle, options: { maxBatch?: number; promptCacheBytes?: number } = {}) {
    this.concatenator = new MemoryConcatenator(bundle);
    this.generator = new Generator(bundle, options);
    this.caching = (options.promptCacheBytes ?? 0) > 0;
  }

  promptTokens(prompt: string): number[] {
    return this.generator.promptTokens(prompt);
  }

  async generate(prompt: string, memories: StoredMemory[], options: GenerateOptions): Promise<LmGeneration> {
    const t0 = performance.now();
    const prefix = memories.length ? this.concatenator.concat(memories.map((m) => decodeModulation(m.bytes, m.codec))) : null;
    const aggregateMs = performance.now() - t0;
    try {
      return { ...(await this.generator.generate(prompt, prefix, { ...options, prefixId: prefix && this.caching ? prefixId(memories) : undefined })), aggregateMs };
    } finally {
      for (const t of prefix ? [...prefix.keys, ...prefix.values] : []) t.dispose?.();
    }
  }
}

/** The memories' identity, by content and order: the same prefix, whatever ids or versions they are stored under. */
function prefixId(memories: StoredMemory[]): string {
  const hash = createHash('sha1');
  for (const m of memories) hash.update(m.codec).update(m.bytes);
  return hash.digest('hex');
}
