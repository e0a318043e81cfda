import * as ort from 'onnxruntime-node';
import { blockOffset, memoryLayout, slotsOf, type Bundle, type MemoryLayout } from '../bundle/index.ts';
import { rotateKey } from '../lm/index.ts';

/** What the frozen LM reads before the prompt: per layer, keys and values [1, H_kv, P, D]. */
export interface Prefix {
  keys: ort.Tensor[];
  values: ort.Tensor[];
  length: number;
}

/**
 * Fuses passage memories into the prefix the LM reads: the selected memories' key/values side by side,
 * the question's best memory last (nearest the question). Each memory's keys are rotated to where its
 * slots now sit (bundle/memory-layout.ts), so every memory reads as a context turn just before the next.
 */
export class MemoryConcatenator {
  private readonly layout: MemoryLayout;

  constructor(private readonly bundle: Bundle) {
    this.layout = memoryLayout(bundle.manifest);
  }

  /** memories: best first. The prefix tensors belong to the caller, who disposes them. */
  concat(memories: Float32Array[]): Prefix {
    if (memories.length === 0) throw new Error('concat needs at least one memory');
    const { layers, heads, headDim: D } = this.layout;
    const invFreq = this.bundle.manifest.memory.rope_inv_freq;
    const ordered = [...memories].reverse();
    const slots = ordered.map((m) => slotsOf(m, this.layout));
    const total = slots.reduce((a, b) => a + b, 0);
    const keys: ort.Tensor[] = [];
    const values: ort.Tensor[] = [];
    for (let l = 0; l < layers; l++) {
      for (const kv of [0, 1] as const) {
        const out = new Float32Array(heads * total * D); // [1, H, total, D]
        let end = 0;
        ordered.forEach((memory, i) => {
          const start = end;
          end += slots[i];
          for (let h = 0; h < heads; h++) {
            const src = blockOffset(this.layout, slots[i], l, kv, h);
            const dst = (h * total + start) * D;
            out.set(memory.subarray(src, src + slots[i] * D), dst);
            if (!kv) for (let j = 0; j < slots[i]; j++) rotateKey(out, dst + j * D, end, invFreq);
          }
        });
        (kv ? values : keys).push(new ort.Tensor('float32', out, [1, heads, total, D]));
      }
    }
    return { keys, values, length: total };
  }
}
