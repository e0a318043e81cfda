import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Prefix } from '../../aggregator/index.ts';
import type { Bundle } from '../../bundle/index.ts';
import type { GenerateOptions, Generation } from '../generate.ts';
import { bundleGguf, nodeLlamaCpp } from './runtime.ts';
import { stateLayout, writeState, type StateLayout } from './state.ts';

/** A prompt shares at least this many leading tokens with a sequence's before that sequence's cache is reused. */
const MIN_REUSE = 16;

/** One llama.cpp sequence: its cache holds the prefix named `prefixId`, then `tokens` (prompt and answer). */
interface Slot {
  sequence: any;
  prefixId: string | null;
  prefixLength: number;
  tokens: number[];
  busy: boolean;
  used: number;
}

/**
 * Free-text answers on llama.cpp (node-llama-cpp) from the GGUF the bundle was built from: the same frozen
 * LM as the ONNX one, at llama.cpp's speed. The memory prefix goes into a sequence's KV cache through
 * llama.cpp's sequence state file (state.ts), at positions 0..P-1 as in the ONNX LM, so the prompt reads it
 * as it would there. Each answer holds one of `sequences` sequences of one context; llama.cpp batches the
 * decode steps of all sequences in flight (continuous batching). A sequence keeps its cache after an
 * answer: the next prompt after the same prefix that begins the same way runs over the rest only.
 * Greedy, as the ONNX Generator; grounded answers stay on the ONNX Generator (they score spans on logits).
 */
export class LlamaCppGenerator {
  private readonly slots: Slot[];
  private readonly waiting: (() => void)[] = [];
  private readonly stop: Set<number>;
  private readonly stateDir = mkdtempSync(join(tmpdir(), 'mac-llama-'));
  private clock = 0;

  private constructor(private readonly bundle: Bundle, private readonly llama: any, private readonly context: any, private readonly layout: StateLayout) {
    this.stop = new Set(bundle.manifest.prompt.stop_token_ids);
    this.slots = Array.from({ length: context.totalSequences }, () => ({ sequence: context.getSequence(), prefixId: null, prefixLength: 0, tokens: [], busy: false, used: 0 }));
  }

  /**
   * `sequences`: answers decoded at once (1: one after another); `maxPrefix`: the longest memory prefix
   * (each sequence holds it and the LM's max_lm_tokens); `threads`: 0 for every core.
   */
  static async start(bundle: Bundle, options: { sequences: number; maxPrefix: number; threads: number }): Promise<LlamaCppGenerator> {
    const { getLlama } = await nodeLlamaCpp();
    const gguf = await bundleGguf(bundle.dir, bundle.manifest);
    const llama = await getLlama({ gpu: false, build: 'never', logLevel: 'warn', progressLogs: false });
    const model = await llama.loadModel({ modelPath: gguf, gpuLayers: 0 });
    const context = await model.createContext({
      contextSize: bundle.manifest.limits.max_lm_tokens + options.maxPrefix, sequences: options.sequences,
      threads: options.threads || undefined,
    });
    // The cache layout this build keeps (types, value transposition), from a state it writes itself.
    const probe = context.getSequence();
    await probe.evaluateWithoutGeneratingNewTokens([bundle.manifest.prompt.stop_token_ids[0]]);
    const dir = mkdtempSync(join(tmpdir(), 'mac-llama-probe-'));
    try {
      await probe.saveStateToFile(join(dir, 'probe.bin'));
      const layout = stateLayout(readFileSync(join(dir, 'probe.bin')));
      if (layout.layers !== bundle.manifest.dims.lm_layers) throw new Error(`llama.cpp reads ${layout.layers} layers; the bundle's LM has ${bundle.manifest.dims.lm_layers}`);
      probe.dispose();
      return new LlamaCppGenerator(bundle, llama, context, layout);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  promptTokens(prompt: string): number[] {
    return this.bundle.lmTokenizer.encode(prompt, false);
  }

  /** As the ONNX Generator's `generate` (greedy, stop tokens, streaming, signal), grounding aside. */
  async generate(prompt: string, prefix: Prefix | null, options: GenerateOptions): Promise<Generation> {
    const started = performance.now();
    if (options.grounding) throw new Error('grounded answers run on the ONNX Generator');
    const ids = this.promptTokens(prompt);
    const maxTotal = this.bundle.manifest.limits.max_lm_tokens;
    if (ids.length + options.maxNewTokens > maxTotal) throw new RangeError(`prompt of ${ids.length} tokens + ${options.maxNewTokens} new exceeds the LM's ${maxTotal}`);
    const prefixId = prefix ? options.prefixId ?? null : '';
    const slot = await this.acquire(prefixId, ids);
    const tokens: number[] = [];
    let probSum = 0;
    let firstTokenMs = 0;
    let cachedTokens = 0;
    try {
      cachedTokens = await this.prepare(slot, prefix, prefixId, ids);
      if (options.signal?.aborted || options.maxNewTokens <= 0) {
        await slot.sequence.evaluateWithoutGeneratingNewTokens(ids.slice(cachedTokens));
      } else {
        let emitted = '';
        const steps = slot.sequence.evaluateWithMetadata(ids.slice(cachedTokens), { confidence: true }, { temperature: 0, yieldEogToken: true });
        for await (const { token, confidence } of steps) {
          if (!firstTokenMs) firstTokenMs = performance.now() - started;
          if (this.stop.has(token) && !options.ignoreStop) break;
          probSum += confidence;
          tokens.push(token);
          if (options.onText) {
            const text = this.bundle.lmTokenizer.decode(tokens);
            if (text.length > emitted.length && !text.endsWith('\uFFFD')) {
              options.onText(text.slice(emitted.length));
              emitted = text;
            }
          }
          if (tokens.length >= options.maxNewTokens || options.signal?.aborted) break;
        }
      }
      slot.tokens = (slot.sequence.contextTokens as number[]).slice(slot.prefixLength);
    } catch (err) {
      slot.prefixId = null; // its cache is in an unknown state: start it afresh next time
      throw err;
    } finally {
      this.release(slot);
    }
    return {
      text: this.bundle.lmTokenizer.decode(tokens).trim(), tokens, promptTokens: ids.length, cachedTokens,
      meanTokenProb: tokens.length ? probSum / tokens.length : 0, firstTokenMs, totalMs: performance.now() - started, span: null,
    };
  }

  async close(): Promise<void> {
    await this.context.dispose();
    await this.llama.dispose();
    rmSync(this.stateDir, { recursive: true, force: true });
  }

  /**
   * Readies the slot's cache for `ids` after the prefix: keeps the longest beginning its last prompt
   * shared (same prefix), else loads the prefix afresh. Returns how many of `ids` are already cached.
   */
  private async prepare(slot: Slot, prefix: Prefix | null, prefixId: string | null, ids: number[]): Promise<number> {
    const shared = prefixId !== null && slot.prefixId === prefixId ? sharedBeginning(slot.tokens, ids) : 0;
    const sequence = slot.sequence;
    if (shared >= MIN_REUSE) {
      await sequence.eraseContextTokenRanges([{ start: slot.prefixLength + shared, end: sequence.nextTokenIndex }]);
      return shared;
    }
    await sequence.clearHistory();
    slot.prefixId = null;
    if (prefix) {
      const file = join(this.stateDir, `${this.slots.indexOf(slot)}.bin`);
      const { lm_kv_heads: heads, lm_head_dim: headDim } = this.bundle.manifest.dims;
      const kv = { keys: prefix.keys.map((t) => t.data as Float32Array), values: prefix.values.map((t) => t.data as Float32Array), length: prefix.length };
      writeFileSync(file, writeState(kv, { heads, headDim }, this.layout));
      await sequence.loadStateFromFile(file, { acceptRisk: true });
      rmSync(file, { force: true });
    }
    slot.prefixId = prefixId;
    slot.prefixLength = prefix ? prefix.length : 0;
    return 0;
  }

  /** A free sequence: one whose cache best serves the prompt, else the least recently used. */
  private async acquire(prefixId: string | null, ids: number[]): Promise<Slot> {
    for (;;) {
      const free = this.slots.filter((s) => !s.busy);
      if (free.length) {
        const score = (s: Slot) => (prefixId !== null && s.prefixId === prefixId ? sharedBeginning(s.tokens, ids) : 0);
        const best = free.reduce((a, b) => (score(b) > score(a) || (score(b) === score(a) && b.used < a.used) ? b : a));
        best.busy = true;
        best.used = ++this.clock;
        return best;
      }
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    }
  }

  private release(slot: Slot): void {
    slot.busy = false;
    this.waiting.shift()?.();
  }
}

/** Leading tokens `a` and `b` share, leaving at least one of `b` to run (its pass gives the first answer token). */
function sharedBeginning(a: number[], b: number[]): number {
  let n = 0;
  while (n < a.length && n < b.length - 1 && a[n] === b[n]) n++;
  return n;
}
