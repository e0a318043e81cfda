import { createHash } from 'node:crypto';
import * as ort from 'onnxruntime-node';
import { blockOffset, int64, LOGITS_FROM, memoryLayout, release, type Bundle, type Manifest, type MemoryLayout } from '../bundle/index.ts';
import { neutralize, NEUTRALIZE_REVISION, pastFeeds, rotateKey } from '../lm/index.ts';
import { CODECS, type Codec } from '../memory/types.ts';
import { SELECTION_REVISION, selectSlots } from './slots.ts';

/**
 * The amortized memory of one passage: the memory encoder reads the passage's context turn once (the same
 * text a prompt would carry), and the memory keeps its keys and values at a few positions (bundle manifest
 * `memory`). The memory encoder is the frozen LM's own graph with trained adapters on this reading pass
 * (mac/train.py), so the few kept positions carry what a reader of the whole passage would use; a
 * bundle without one encodes with the LM itself. No gradient step at run time.
 */
export class KvMemoryEncoder {
  private readonly layout: MemoryLayout;
  /** Tokens of the context turn's header ("Context:"), before the passage's own: never salient. */
  private readonly headerTokens: number;

  constructor(private readonly bundle: Bundle) {
    this.layout = memoryLayout(bundle.manifest);
    const { context } = bundle.manifest.prompt;
    this.headerTokens = bundle.lmTokenizer.encode(context.slice(0, context.indexOf('{passages}')), false).length;
  }

  /** Token ids of the context turn holding `text`: what the LM reads at ingestion. */
  contextTokens(text: string): number[] {
    const { context } = this.bundle.manifest.prompt;
    return this.bundle.lmTokenizer.encode(context.replace('{passages}', () => neutralize(text)), false);
  }

  async encode(text: string): Promise<Float32Array> {
    const { manifest, lmTokenizer, sessions } = this.bundle;
    const { layers, heads, headDim: D, perSlot } = this.layout;
    const ids = this.contextTokens(text);
    const n = ids.length;
    if (n > manifest.limits.max_lm_tokens) throw new RangeError(`passage of ${n} LM tokens exceeds the LM's ${manifest.limits.max_lm_tokens}`);
    const feeds: Record<string, ort.Tensor> = {
      input_ids: int64(ids, [1, n]),
      attention_mask: int64(new Array(n).fill(1), [1, n]),
      position_ids: int64(ids.map((_, i) => i), [1, n]),
      ...pastFeeds(manifest, null),
    };
    // the LM itself (no memory encoder) also computes logits: the fewest it can, the last position's
    const out = sessions.memory_encoder ? await sessions.memory_encoder.run(feeds) : await sessions.lm.run({ ...feeds, [LOGITS_FROM]: int64([n - 1], [1]) });
    const slots = selectSlots(ids.map((id) => lmTokenizer.decode([id])), manifest.memory, this.headerTokens);
    const M = slots.length;
    // Keys move from their position in the passage to their place relative to the memory's end.
    const deltas = slots.map((p, j) => (manifest.memory.placement === 'relative' ? -n : j - M - p));
    const memory = new Float32Array(M * perSlot);
    for (let l = 0; l < layers; l++) {
      for (const kv of [0, 1] as const) {
        const present = out[`present.${l}.${kv ? 'value' : 'key'}`].data as Float32Array; // [1, H, n, D]
        for (let h = 0; h < heads; h++) {
          const base = blockOffset(this.layout, M, l, kv, h);
          slots.forEach((p, j) => {
            memory.set(present.subarray((h * n + p) * D, (h * n + p + 1) * D), base + j * D);
            if (!kv) rotateKey(memory, base + j * D, deltas[j], manifest.memory.rope_inv_freq);
          });
        }
      }
    }
    release(...Object.values(out));
    return memory;
  }
}

/**
 * Names how memories and embeddings are made: the memory settings and selection rules, the storage codec,
 * the context-turn text, and the LM and encoder weights. Rows made under another name must be re-encoded
 * (`npm run reindex`) before this bundle may read them.
 */
export function memoryFormat(manifest: Manifest, codec: string): string {
  const { kind, selection, slots, placement } = manifest.memory;
  const inputs = JSON.stringify([kind, selection, SELECTION_REVISION, slots, placement, codec, manifest.prompt.context, NEUTRALIZE_REVISION,
    manifest.files['lm.onnx']?.sha256 ?? null, manifest.files['encoder.onnx']?.sha256 ?? null,
    ...(manifest.memory.encoder ? [manifest.memory.encoder.weights_sha256] : [])]);
  return `${kind}-${selection}-${slots}-${placement}-${codec}-${createHash('sha256').update(inputs).digest('hex').slice(0, 12)}`;
}

/** The codec with which this bundle makes `format`, if it makes it at all: such rows differ from another codec's in storage alone. */
export function codecOfFormat(manifest: Manifest, format: string): Codec | undefined {
  return CODECS.find((c) => memoryFormat(manifest, c) === format);
}
