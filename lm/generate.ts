import * as ort from 'onnxruntime-node';
import { release, type Bundle } from '../bundle/index.ts';
import type { Prefix } from '../aggregator/index.ts';
import { logSumExp, spanShares, spanStarts, type Grounding, type Span, type SpanShare, type SpanStart } from './grounding.ts';
import { DecodeBatcher } from './batcher.ts';
import { logProbs, pastFeeds, presentsOf } from './past.ts';
import { PromptCache } from './prompt-cache.ts';

type Outputs = ort.InferenceSession.OnnxValueMapType;

/** Where a free-text answer's first line ends: its first line break after the answer's first character (-1: none yet). */
export function lineBreak(text: string): number {
  const start = text.length - text.trimStart().length;
  return text.indexOf('\n', start);
}

/** Grounded answers: how many span starts are scored in full (by the first token's probability), and how many may share a first token. */
const GROUNDED_STARTS = 8;
const GROUNDED_SAME_FIRST = 3;

export interface GenerateOptions {
  maxNewTokens: number;
  /** Called with each new piece of text as it is decoded (for streaming); not by a grounded span, which is chosen whole. */
  onText?: (text: string) => void;
  /** Decode exactly maxNewTokens, past stop tokens (benchmarks measure a fixed length). */
  ignoreStop?: boolean;
  /** Stops decoding before the next token once it fires (deadline, client gone). */
  signal?: AbortSignal;
  /** Answer with the likeliest span of these texts instead of free text (lm/grounding.ts). */
  grounding?: Grounding;
  /** Names the prefix's content (one id, one prefix): prompt passes after it may then be reused (lm/prompt-cache.ts). */
  prefixId?: string;
  /**
   * Free text: words the answer may not begin with (the answer-form examples' first words that nothing
   * read holds: lm/prompt.ts `exampleStarts`, answer/answerer.ts `startsNotRead`). An answer that does is
   * decoded again with its first token barred.
   */
  avoidStarts?: string[];
}

export interface Generation {
  text: string;
  tokens: number[];
  promptTokens: number;
  /** Of the prompt's tokens, those whose pass was reused from a recent prompt's (lm/prompt-cache.ts). */
  cachedTokens: number;
  /** Mean probability the model gave its own greedy choices: a cheap confidence signal. */
  meanTokenProb: number;
  firstTokenMs: number;
  totalMs: number;
  /** Grounded answers: where the answer was copied from. */
  span: Span | null;
  /**
   * Grounded answers: of the probability the LM gave all spans scored (each span's tokens and the stop
   * after them), the share of the span chosen, and of the spans overlapping it (null for free text).
   */
  spanShare: SpanShare | null;
}

/**
 * Greedy decoding with a KV cache: prepare -> forward -> pick -> stop -> step. The prefix (the
 * aggregated modulation) is the prompt pass's past; the prompt's cache then joins the decode batch
 * (lm/batcher.ts), where each step feeds the picked token of every generation in flight in one pass.
 */
export class Generator {
  private readonly stop: Set<number>;
  private readonly batcher: DecodeBatcher;
  private readonly cache: PromptCache;

  /**
   * `maxBatch`: decode steps of at most this many concurrent generations run as one pass (1: batching off);
   * `promptCacheBytes`: recent prompt passes kept for prompts that begin the same way (0: none).
   */
  constructor(private readonly bundle: Bundle, options: { maxBatch?: number; promptCacheBytes?: number } = {}) {
    this.stop = new Set(bundle.manifest.prompt.stop_token_ids);
    if (!bundle.lmRotary) throw new Error(`the LM is not loaded on this thread (loadBundle's models option)`);
    this.batcher = new DecodeBatcher(bundle.sessions.lm, bundle.manifest, bundle.lmRotary, options.maxBatch ?? 8);
    this.cache = new PromptCache(bundle.manifest, options.promptCacheBytes ?? 0);
  }

  /** Decode passes run and rows stepped (their ratio is the mean batch). */
  get batchStats() {
    return this.batcher.stats;
  }

  /** Prompt cache lookups, hits and tokens reused. */
  get promptCacheStats() {
    return { ...this.cache.stats, ...this.cache.size };
  }

  promptTokens(prompt: string): number[] {
    return this.bundle.lmTokenizer.encode(prompt, false);
  }

  async generate(prompt: string, prefix: Prefix | null, options: GenerateOptions): Promise<Generation> {
    const started = performance.now();
    const promptIds = this.promptTokens(prompt);
    const maxTotal = this.bundle.manifest.limits.max_lm_tokens;
    const memoryPositions = prefix?.length ?? 0;
    if (memoryPositions + promptIds.length + options.maxNewTokens > maxTotal) {
      const memories = memoryPositions ? `${memoryPositions} memory positions + ` : '';
      throw new RangeError(`${memories}prompt of ${promptIds.length} tokens + ${options.maxNewTokens} new exceeds the LM's ${maxTotal}`);
    }
    if (options.grounding) {
      const grounded = await this.groundedAnswer(promptIds, prefix, options.grounding, started, options);
      if (grounded) return grounded; // else no word in the texts to copy: answer freely
    }
    if (options.signal?.aborted || options.maxNewTokens <= 0) return this.finish([], 0, promptIds.length, 0, 0, started);
    // An answer that copies an example's answer is decoded again, its first token barred, at most once per word.
    const barred = new Set<number>();
    const avoid = options.avoidStarts ?? [];
    for (;;) {
      const decoded = await this.decode(promptIds, prefix, options, barred, started);
      if (!decoded.copied || barred.size >= avoid.length || options.signal?.aborted) {
        if (decoded.copied) options.onText?.(decoded.text); // out of tries (or time): a stream shows the answer given
        return this.finish(decoded.tokens, decoded.probSum, promptIds.length, decoded.reused, decoded.firstTokenMs, started, decoded.text);
      }
      barred.add(decoded.tokens[0]);
    }
  }

  /**
   * One greedy decoding from the prompt (its first token not one of `barred`): prefill, then a step per
   * token batched with the other answers in flight, to a stop token, a line break or maxNewTokens.
   * `copied`: the answer begins with one of `options.avoidStarts`; a stream holds back text while it could
   * still be such a start, so it never shows one.
   */
  private async decode(promptIds: number[], prefix: Prefix | null, options: GenerateOptions, barred: Set<number>, started: number) {
    const { lm_vocab: V } = this.bundle.manifest.dims;
    const avoid = options.avoidStarts ?? [];
    const prefill = await this.prefill(promptIds, prefix, options.prefixId);
    const firstTokenMs = performance.now() - started;
    let logits = (prefill.out.logits.data as Float32Array).subarray(0, V);
    const P = prefix ? prefix.length : 0;
    const sequence = this.batcher.join(prefill.present, P + promptIds.length, P + promptIds.length + options.maxNewTokens);
    const tokens: number[] = [];
    let probSum = 0;
    let emitted = '';
    let text = '';
    let copied = false;
    try {
      for (;;) {
        // pick: greedy, with its softmax probability
        const { best, prob } = greedy(logits, tokens.length ? undefined : barred);
        // stop: at a stop token, or at a line break (the answer is one line) where the token adds nothing before it
        if (this.stop.has(best) && !options.ignoreStop) break;
        const next = this.bundle.lmTokenizer.decode([...tokens, best]);
        const lineEnd = options.ignoreStop ? -1 : lineBreak(next);
        if (lineEnd >= 0 && lineEnd <= text.length) break;
        probSum += prob;
        tokens.push(best);
        text = lineEnd >= 0 ? next.slice(0, lineEnd) : next;
        copied = copies(text, avoid, false);
        if (copied) break;
        if (options.onText && text.length > emitted.length && !text.endsWith('\uFFFD') && !mayCopy(text, avoid)) {
          options.onText(text.slice(emitted.length));
          emitted = text;
        }
        if (lineEnd >= 0 || tokens.length >= options.maxNewTokens || options.signal?.aborted) break;
        logits = await sequence.step(best);
      }
    } finally {
      sequence.leave();
    }
    copied ||= copies(text, avoid, true);
    // text held back while it might have begun a copy, and did not
    if (!copied && options.onText && text.length > emitted.length) options.onText(text.slice(emitted.length));
    return { tokens, probSum, text, reused: prefill.reused, firstTokenMs, copied };
  }

  private finish(tokens: number[], probSum: number, promptTokens: number, cachedTokens: number, firstTokenMs: number, started: number, text = ''): Generation {
    return {
      text: text.trim(),
      tokens,
      promptTokens,
      cachedTokens,
      meanTokenProb: tokens.length ? probSum / tokens.length : 0,
      firstTokenMs,
      totalMs: performance.now() - started,
      span: null,
      spanShare: null,
    };
  }

  /**
   * The prompt pass (the prefix occupies positions 0..P-1, so the prompt starts at P), over only the
   * tokens after the longest beginning a recent prompt after the same prefix shared; its cache is kept in
   * turn. `out.logits`: the last position's only ([1, 1, V], the next token's); `present`: the whole
   * prompt's cache; `reused`: the prompt tokens the cache served.
   */
  private async prefill(ids: number[], prefix: Prefix | null, prefixId: string | undefined): Promise<{ out: Outputs; present: ort.Tensor[]; reused: number }> {
    const key = prefix ? prefixId ?? null : ''; // a prefix nobody named cannot be matched
    const hit = key === null ? null : this.cache.lookup(key, ids);
    if (hit?.logits) {
      // the same prompt after the same prefix again: its whole pass is cached, so it answers as it did
      const { lm_vocab: V } = this.bundle.manifest.dims;
      return { out: { logits: new ort.Tensor('float32', hit.logits.slice(), [1, 1, V]) }, present: hit.past, reused: ids.length };
    }
    const reused = hit?.reused ?? 0;
    const past = hit ? hit.past : Object.values(pastFeeds(this.bundle.manifest, prefix)); // key, value per layer, in layer order
    const fed = ids.length - reused;
    const out = await this.batcher.forward(ids.slice(reused), past, (prefix ? prefix.length : 0) + reused, { logitsFrom: fed - 1 });
    if (hit || !prefix) release(...past); // the prefix's tensors are the caller's
    const present = presentsOf(this.bundle.manifest, out);
    if (key !== null) this.cache.store(key, ids, present, out.logits.data as Float32Array);
    return { out, present, reused };
  }

  /**
   * Span scoring: the answer is the candidate span of the texts with the best score, the LM's
   * length-normalised log-probability of its tokens and of stopping after them (for a reader's proposals,
   * their reader score + lmWeight x that). One prefill; then each candidate start is read once,
   * teacher-forced to its last end, which scores every length from it at once. The candidates: the spans a
   * reader proposes, or else the GROUNDED_STARTS word starts whose first token the LM likes best, each over
   * its next MAX_SPAN_WORDS words.
   */
  private async groundedAnswer(promptIds: number[], prefix: Prefix | null, grounding: Grounding, started: number, options: GenerateOptions): Promise<Generation | null> {
    const proposals = grounding.proposals?.spans.length ? grounding.proposals : null;
    const starts: (SpanStart & { prior: number })[] = proposals
      ? proposals.spans.map((p) => ({ text: p.text, start: p.start, ends: [p.end], prior: p.score }))
      : spanStarts(grounding.texts).map((s) => ({ ...s, prior: 0 }));
    if (!starts.length) return null;
    const lmWeight = proposals ? proposals.lmWeight : 1;
    const { lm_vocab: V } = this.bundle.manifest.dims;
    const tok = this.bundle.lmTokenizer;
    const stops = [...this.stop];
    const P = prefix ? prefix.length : 0;
    const { out: prefill, present, reused } = await this.prefill(promptIds, prefix, options.prefixId);
    const firstTokenMs = performance.now() - started;
    const firstIds = starts.map((s) => tok.encode(grounding.texts[s.text].slice(s.start, s.ends[0]), false)[0]);
    const firstLogp = logProbs(prefill.logits.data as Float32Array, 0, V, firstIds);
    prefill.logits.dispose?.();
    const candidates = starts.map((s, i) => ({ s, logp: firstLogp[i], id: firstIds[i] }));
    // The LM's own starts worth reading: best first token first, at most GROUNDED_SAME_FIRST sharing one.
    const perFirst = new Map<number, number>();
    const chosen = proposals ? candidates : candidates.sort((a, b) => b.logp - a.logp).filter((f) => {
      const n = perFirst.get(f.id) ?? 0;
      perFirst.set(f.id, n + 1);
      return n < GROUNDED_SAME_FIRST;
    }).slice(0, GROUNDED_STARTS);
    let best: { score: number; span: Span; ids: number[]; tokenLogp: number } | null = null;
    const scored: { span: Span; logp: number }[] = []; // every span's log-probability as a whole answer
    const room = this.bundle.manifest.limits.max_lm_tokens - P - promptIds.length;
    try {
      for (const { s, logp: first } of chosen) {
        if (options.signal?.aborted) break;
        const text = grounding.texts[s.text];
        // read as far as the LM's window allows: an end past it is not a token prefix of what was read, and is skipped
        const ids = tok.encode(text.slice(s.start, s.ends[s.ends.length - 1]), false).slice(0, room);
        if (!ids.length) continue;
        const out = await this.batcher.forward(ids, present, P + promptIds.length, { logitsOnly: true });
        // row j predicts token j + 1: its log-probability, then those of the stop tokens
        const rows = ids.map((_, j) => logProbs(out.logits.data as Float32Array, j, V, [ids[j + 1] ?? stops[0], ...stops]));
        release(...Object.values(out));
        for (const end of s.ends) {
          const prefixIds = tok.encode(text.slice(s.start, end), false);
          const n = prefixIds.length;
          if (n > ids.length || prefixIds.some((id, j) => id !== ids[j])) continue; // not a token prefix of the read span
          let tokenLogp = first;
          for (let j = 1; j < n; j++) tokenLogp += rows[j - 1][0];
          const stop = logSumExp(rows[n - 1].slice(1)) + grounding.stopBias;
          const span = { text: s.text, start: s.start, end };
          const score = s.prior + lmWeight * ((tokenLogp + stop) / (n + 1));
          scored.push({ span, logp: tokenLogp + stop });
          if (!best || score > best.score) best = { score, span, ids: prefixIds, tokenLogp };
        }
      }
    } finally {
      release(...present); // the tensors only: the prompt cache keeps their arrays (dispose drops a reference)
    }
    if (!best) return null;
    const text = grounding.texts[best.span.text].slice(best.span.start, best.span.end).trim();
    return {
      text, tokens: best.ids, promptTokens: promptIds.length, cachedTokens: reused, meanTokenProb: Math.exp(best.tokenLogp / best.ids.length),
      firstTokenMs, totalMs: performance.now() - started, span: best.span, spanShare: spanShares(scored, best.span),
    };
  }
}

/** The likeliest token of one row of logits, none of `barred`, and its softmax probability among the others. */
function greedy(logits: Float32Array, barred?: Set<number>): { best: number; prob: number } {
  const allowed = (v: number) => !barred?.has(v);
  let best = -1;
  for (let v = 0; v < logits.length; v++) if (allowed(v) && (best < 0 || logits[v] > logits[best])) best = v;
  let denom = 0;
  for (let v = 0; v < logits.length; v++) if (allowed(v)) denom += Math.exp(logits[v] - logits[best]);
  return { best, prob: 1 / denom };
}

/**
 * Whether an answer's text begins with one of `words` as a whole word: followed by a character that is not
 * a letter or digit, or by nothing once the answer is `finished`.
 */
export function copies(text: string, words: string[], finished: boolean): boolean {
  const t = text.trimStart();
  return words.some((w) => t.startsWith(w) && (t.length > w.length ? !/[\p{L}\p{N}]/u.test(t[w.length]) : finished));
}

/** Whether an answer's text so far could still grow into one that `copies` one of `words` (leading space streams: it shows nothing). */
function mayCopy(text: string, words: string[]): boolean {
  const t = text.trimStart();
  return t !== '' && words.some((w) => w.startsWith(t));
}
