import type { Bundle } from '../bundle/index.ts';
import { ModelThread, type SpinSetting, type ThreadActivity } from '../bundle/thread.ts';
import type { GenerateOptions } from '../lm/index.ts';
import type { StoredMemory } from '../memory/index.ts';
import type { AnswerLm, LmGeneration } from './lm.ts';

/**
 * The LM on a thread of its own (bundle/thread.ts): prefill and every decode step run there, so the
 * event loop stays free for /healthz, acknowledgements and other answers' streams. Streamed text comes
 * back as events; the caller's signal (deadline, client gone) stops decoding at the next token.
 */
export class ThreadedLm implements AnswerLm {
  private constructor(private readonly bundle: Bundle, private readonly thread: ModelThread) {}

  /**
   * `bundle` (any models loaded) tokenizes here; the thread loads its own LM session from `bundleDir`,
   * batches the decode steps of up to `maxBatch` concurrent generations (lm/batcher.ts) and keeps recent
   * prompt passes in `promptCacheBytes` (lm/prompt-cache.ts); `spinWait`: SPIN_WAIT (`auto` needs
   * `activity`, the thread's slot among the model threads).
   */
  static async start(bundle: Bundle, options: { threads: number; maxBatch?: number; promptCacheBytes?: number; spinWait?: SpinSetting; activity?: ThreadActivity }): Promise<ThreadedLm> {
    const { threads, maxBatch = 8, promptCacheBytes = 0, spinWait = true, activity } = options;
    const data = { bundleDir: bundle.dir, threads, maxBatch, promptCacheBytes, spinWait };
    return new ThreadedLm(bundle, await ModelThread.start('LM', new URL('./lm-worker.ts', import.meta.url), data, activity));
  }

  /** Why the thread stopped (null while it runs): readiness reports it. */
  get exited(): string | null {
    return this.thread.exited;
  }

  promptTokens(prompt: string): number[] {
    return this.bundle.lmTokenizer.encode(prompt, false);
  }

  generate(prompt: string, memories: StoredMemory[], options: GenerateOptions): Promise<LmGeneration> {
    if (options.ignoreStop) throw new Error('ignoreStop is for benchmarks of the in-process Generator');
    return this.thread.call<LmGeneration>(
      { prompt, memories, maxNewTokens: options.maxNewTokens, stream: !!options.onText, grounding: options.grounding, avoidStarts: options.avoidStarts },
      { onEvent: options.onText, signal: options.signal },
    );
  }

  close(): Promise<void> {
    return this.thread.close();
  }
}
