import * as ort from 'onnxruntime-node';
import { float32, int64, type Bundle } from '../bundle/index.ts';
import type { EncodedQuestion } from '../encoder/index.ts';

/** The modulation as the frozen LM takes it: per layer, keys and values [1, H_kv, P, D]. */
export interface Prefix {
  keys: ort.Tensor[];
  values: ort.Tensor[];
  length: number;
}

export interface Aggregation {
  prefix: Prefix;
  /** Each input memory's share of the aggregation (sums to 1 over the inputs). */
  weights: number[];
}

export interface Aggregator {
  aggregate(question: EncodedQuestion, memories: Float32Array[]): Promise<Aggregation>;
}

/**
 * Question-conditioned fusion of memories into one prefix. Hierarchical when the memories exceed the
 * bundle's window: fuse groups, then fuse the groups' results, as MacNetworks.aggregate does.
 */
export class OnnxAggregator implements Aggregator {
  constructor(private readonly bundle: Bundle) {}

  async aggregate(question: EncodedQuestion, memories: Float32Array[]): Promise<Aggregation> {
    if (memories.length === 0) throw new Error('aggregate needs at least one memory');
    const { mem_tokens: T, mod_dim: M, encoder_dim: E, aggregation_window: window, lm_layers: L } = this.bundle.manifest.dims;
    let level = memories;
    let weights = memories.map(() => 1);
    let owner = memories.map((_, i) => i); // which current-level item each original memory feeds into
    for (;;) {
      const groups = Math.ceil(level.length / window);
      const width = groups === 1 ? level.length : window;
      const mem = new Float32Array(groups * width * T * M);
      const mask = new Array<number>(groups * width).fill(0);
      level.forEach((m, i) => {
        mem.set(m, i * T * M);
        mask[i] = 1;
      });
      const qStates = new Float32Array(groups * question.tokens * E);
      for (let g = 0; g < groups; g++) qStates.set(question.states, g * question.tokens * E);
      const out = await this.bundle.sessions.aggregator.run({
        question_states: float32(qStates, [groups, question.tokens, E]),
        question_mask: int64(new Array(groups * question.tokens).fill(1), [groups, question.tokens]),
        memories: float32(mem, [groups, width, T, M]),
        memory_mask: int64(mask, [groups, width]),
      });
      const levelWeights = out.memory_weights.data as Float32Array;
      weights = weights.map((w, i) => w * levelWeights[owner[i]]);
      if (groups === 1) {
        const keys: ort.Tensor[] = [];
        const values: ort.Tensor[] = [];
        for (let l = 0; l < L; l++) {
          keys.push(out[`prefix.${l}.key`]);
          values.push(out[`prefix.${l}.value`]);
        }
        out.fused.dispose?.();
        return { prefix: { keys, values, length: this.bundle.manifest.dims.prefix_len }, weights };
      }
      const fused = out.fused.data as Float32Array;
      level = Array.from({ length: groups }, (_, g) => fused.slice(g * T * M, (g + 1) * T * M));
      owner = owner.map((o) => Math.floor(o / window));
      for (const t of Object.values(out)) t.dispose?.();
    }
  }
}
