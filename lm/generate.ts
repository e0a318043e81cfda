import * as ort from 'onnxruntime-node';
import { int64, type Bundle } from '../bundle/index.ts';
import type { Prefix } from '../aggregator/index.ts';
import { pastFeeds } from './past.ts';

export interface GenerateOptions {
  maxNewTokens: number;
  /** Called with each new piece of text as it is decoded (for streaming). */
  onText?: (text: string) => void;
  /** Decode exactly maxNewTokens, past stop tokens (benchmarks measure a fixed length). */
  ignoreStop?: boolean;
  /** Stops decoding before the next token once it fires (deadline, client gone). */
  signal?: AbortSignal;
}

export interface Generation {
  text: string;
  tokens: number[];
  promptTokens: number;
  /** Mean probability the model gave its own greedy choices: a cheap confidence signal. */
  meanTokenProb: number;
  firstTokenMs: number;
  totalMs: number;
}

/**
 * Greedy decoding with a KV cache: prepare -> forward -> pick -> stop -> update. The prefix (the
 * aggregated modulation) is the initial past; each step's `present` becomes the next step's past and the
 * previous one is released, so exactly one cache is alive at a time.
 */
export class Generator {
  private readonly stop: Set<number>;

  constructor(private readonly bundle: Bundle) {
    this.stop = new Set(bundle.manifest.prompt.stop_token_ids);
  }

  promptTokens(prompt: string): number[] {
    return this.bundle.lmTokenizer.encode(prompt, false);
  }


  async generate(prompt: string, prefix: Prefix | null, options: GenerateOptions): Promise<Generation> {
    const started = performance.now();
    const { lm_layers: L, lm_vocab: V } = this.bundle.manifest.dims;
    const promptIds = this.promptTokens(prompt);
    const maxTotal = this.bundle.manifest.limits.max_lm_tokens;
    if (promptIds.length + options.maxNewTokens > maxTotal) {
      throw new RangeError(`prompt of ${promptIds.length} tokens + ${options.maxNewTokens} new exceeds the LM's ${maxTotal}`);
    }
    // prepare: the prefix occupies positions 0..P-1, so the prompt starts at P.
    let past: ort.Tensor[] = Object.values(pastFeeds(this.bundle.manifest, prefix)); // key, value per layer, in layer order
    const P = prefix ? prefix.length : 0;
    let input = promptIds;
    let position = P;
    const tokens: number[] = [];
    let probSum = 0;
    let firstTokenMs = 0;
    let emitted = '';
    for (let step = 0; step < options.maxNewTokens && !options.signal?.aborted; step++) {
      const feeds: Record<string, ort.Tensor> = {
        input_ids: int64(input, [1, input.length]),
        attention_mask: int64(new Array(position + input.length).fill(1), [1, position + input.length]),
        position_ids: int64(input.map((_, i) => position + i), [1, input.length]),
      };
      for (let l = 0; l < L; l++) {
        feeds[`past_key_values.${l}.key`] = past[2 * l];
        feeds[`past_key_values.${l}.value`] = past[2 * l + 1];
      }
      // forward
      const out = await this.bundle.sessions.lm.run(feeds);
      // pick: greedy over the last position's logits, with its softmax probability
      const logits = out.logits.data as Float32Array;
      const offset = (input.length - 1) * V;
      let best = 0;
      let bestLogit = -Infinity;
      for (let v = 0; v < V; v++) {
        if (logits[offset + v] > bestLogit) {
          bestLogit = logits[offset + v];
          best = v;
        }
      }
      let denom = 0;
      for (let v = 0; v < V; v++) denom += Math.exp(logits[offset + v] - bestLogit);
      out.logits.dispose?.();
      // update: the new cache replaces the old one; the prefix tensors belong to the caller.
      if (step > 0 || !prefix) for (const t of past) t.dispose?.();
      past = Array.from({ length: L }, (_, l) => [out[`present.${l}.key`], out[`present.${l}.value`]]).flat();
      position += input.length;
      if (step === 0) firstTokenMs = performance.now() - started;
      // stop
      if (this.stop.has(best) && !options.ignoreStop) break;
      probSum += 1 / denom;
      tokens.push(best);
      input = [best];
      if (options.onText) {
        const text = this.bundle.lmTokenizer.decode(tokens);
        if (text.length > emitted.length && !text.endsWith('\uFFFD')) {
          options.onText(text.slice(emitted.length));
          emitted = text;
        }
      }
    }
    for (const t of past) t.dispose?.();
    const text = this.bundle.lmTokenizer.decode(tokens).trim();
    return {
      text,
      tokens,
      promptTokens: promptIds.length,
      meanTokenProb: tokens.length ? probSum / tokens.length : 0,
      firstTokenMs,
      totalMs: performance.now() - started,
    };
  }
}
