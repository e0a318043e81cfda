import * as ort from 'onnxruntime-node';
import type { Manifest } from '../bundle/index.ts';

/** Shorter shared beginnings are not worth a lookup's copy. */
const MIN_REUSE = 16;

interface Entry {
  /** What sits ahead of the prompt (the memory prefix's identity; '' for none). */
  key: string;
  ids: number[];
  /** The prompt pass's cache: one [1, H_kv, positions, D] array per layer key/value, prefix positions first. */
  data: Float32Array[];
  positions: number;
  /** The last position's logits (the next token's), where the pass kept them: the same prompt again needs no pass. */
  logits: Float32Array | null;
  bytes: number;
}

/** What a lookup found: the cache of the prompt's first `reused` tokens (the caller's to keep or drop). */
export interface CachedPrompt {
  past: ort.Tensor[];
  reused: number;
  /** The same prompt was passed whole: its last position's logits, so nothing is left to run. */
  logits?: Float32Array;
}

/**
 * The caches of recent prompts, so a prompt that begins as a recent one did (the answer-form turns every
 * base and mac prompt shares, the passages of consecutive questions on one document) runs its pass over
 * the rest only. An entry is found by the prefix ahead of the prompt (`key`: the same memories in the
 * same order, or none) and the longest run of leading token ids it shares with the prompt; the budget is
 * in bytes, least recently used out first. The keys and values of a shared beginning do not depend on
 * what follows it (the LM is causal), so reusing them changes only the rounding of the pass that remains;
 * the same prompt asked again reuses the whole pass, logits included, so it answers exactly as it did.
 */
export class PromptCache {
  /** Least recently used first. */
  private entries: Entry[] = [];
  private bytes = 0;
  readonly stats = { lookups: 0, hits: 0, tokensLookedUp: 0, tokensReused: 0, evictions: 0 };

  constructor(private readonly manifest: Manifest, private readonly budgetBytes: number) {}

  /**
   * The longest cached beginning of `ids` after `key`: all of them where the same prompt's pass kept its
   * logits, else at least one token short (a pass needs a token).
   */
  lookup(key: string, ids: number[]): CachedPrompt | null {
    this.stats.lookups++;
    this.stats.tokensLookedUp += ids.length;
    let best: Entry | null = null;
    let reused = 0;
    for (const e of this.entries) {
      if (e.key !== key) continue;
      const shared = sharedLength(e.ids, ids, ids.length);
      const same = shared === ids.length && e.ids.length === ids.length && e.logits !== null;
      const n = same ? shared : Math.min(shared, ids.length - 1);
      if (n > reused) [best, reused] = [e, n];
    }
    if (!best || reused < MIN_REUSE) return null;
    this.touch(best);
    this.stats.hits++;
    this.stats.tokensReused += reused;
    const prefixPositions = best.positions - best.ids.length;
    const past = this.slice(best, prefixPositions + reused);
    return reused === ids.length ? { past, reused, logits: best.logits! } : { past, reused };
  }

  /**
   * Keeps a prompt pass's cache (`present`: [1, H_kv, positions, D] per layer key/value, read, not copied)
   * and, where given, its last position's logits (copied).
   */
  store(key: string, ids: number[], present: ort.Tensor[], logits?: Float32Array): void {
    if (this.budgetBytes <= 0) return;
    const positions = present[0].dims[2] as number;
    const bytes = present.reduce((s, t) => s + (t.data as Float32Array).byteLength, 0) + (logits?.byteLength ?? 0);
    if (bytes > this.budgetBytes) return;
    // an entry whose ids begin this prompt's adds nothing once this one is kept
    for (const e of this.entries.filter((e) => e.key === key && e.ids.length <= ids.length && sharedLength(e.ids, ids, e.ids.length) === e.ids.length)) this.remove(e);
    this.entries.push({ key, ids: [...ids], data: present.map((t) => t.data as Float32Array), positions, logits: logits?.slice() ?? null, bytes });
    this.bytes += bytes;
    while (this.bytes > this.budgetBytes) {
      this.remove(this.entries[0]);
      this.stats.evictions++;
    }
  }

  get size(): { entries: number; bytes: number } {
    return { entries: this.entries.length, bytes: this.bytes };
  }

  private remove(e: Entry): void {
    this.entries.splice(this.entries.indexOf(e), 1);
    this.bytes -= e.bytes;
  }

  private touch(e: Entry): void {
    this.entries.splice(this.entries.indexOf(e), 1);
    this.entries.push(e);
  }

  /** The entry's first `n` positions, copied into tensors of their own. */
  private slice(e: Entry, n: number): ort.Tensor[] {
    const { lm_kv_heads: H, lm_head_dim: D } = this.manifest.dims;
    return e.data.map((src) => {
      const dst = new Float32Array(H * n * D);
      for (let h = 0; h < H; h++) dst.set(src.subarray(h * e.positions * D, (h * e.positions + n) * D), h * n * D);
      return new ort.Tensor('float32', dst, [1, H, n, D]);
    });
  }
}

/** How many leading ids `a` and `b` share, at most `limit`. */
function sharedLength(a: number[], b: number[], limit: number): number {
  const n = Math.min(a.length, b.length, limit);
  let i = 0;
  while (i < n && a[i] === b[i]) i++;
  return i;
}
