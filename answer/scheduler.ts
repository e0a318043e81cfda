/** Why a scheduled answer did not run to its end. */
export class SchedulerError extends Error {
  constructor(readonly reason: 'queue_full' | 'timeout' | 'cancelled', message: string, readonly retryAfterSeconds = 0) {
    super(message);
  }
}

export interface SchedulerOptions {
  /** Answers generated at once; the rest wait in line. */
  maxConcurrent: number;
  /** Answers waiting at most; beyond, a request is refused at once (429) rather than left to time out. */
  maxQueued: number;
  /** Wall-clock limit of one answer, waiting included (ms). */
  timeoutMs: number;
}

/**
 * The one gate every answer passes: a bounded number run at once, a bounded line waits, each has a
 * deadline, and a caller who goes away (client disconnect) stops its answer at the next token and frees
 * its place. The task receives the signal that fires on timeout or cancellation.
 */
export class AnswerScheduler {
  private running = 0;
  private readonly waiting: (() => void)[] = [];
  private recentSeconds = 1;

  constructor(private readonly options: SchedulerOptions) {}

  get depth() {
    return { running: this.running, waiting: this.waiting.length };
  }

  async run<T>(task: (signal: AbortSignal) => Promise<T>, caller?: AbortSignal): Promise<T> {
    if (this.running >= this.options.maxConcurrent && this.waiting.length >= this.options.maxQueued) {
      const retry = Math.max(1, Math.ceil(((this.waiting.length + 1) * this.recentSeconds) / this.options.maxConcurrent));
      throw new SchedulerError('queue_full', `${this.waiting.length} answers are waiting; retry in about ${retry} s.`, retry);
    }
    const deadline = AbortSignal.timeout(this.options.timeoutMs);
    const signal = caller ? AbortSignal.any([deadline, caller]) : deadline;
    if (this.running >= this.options.maxConcurrent) {
      await new Promise<void>((resolve, reject) => {
        const go = () => {
          signal.removeEventListener('abort', leave);
          resolve();
        };
        const leave = () => {
          this.waiting.splice(this.waiting.indexOf(go), 1);
          reject(this.stopped(deadline));
        };
        this.waiting.push(go);
        signal.addEventListener('abort', leave, { once: true });
      });
    }
    this.running++;
    const started = performance.now();
    try {
      const result = await task(signal);
      if (signal.aborted) throw this.stopped(deadline);
      return result;
    } finally {
      this.recentSeconds = 0.8 * this.recentSeconds + 0.2 * ((performance.now() - started) / 1000);
      this.running--;
      this.waiting.shift()?.();
    }
  }

  private stopped(deadline: AbortSignal): SchedulerError {
    return deadline.aborted
      ? new SchedulerError('timeout', `The answer took longer than ${this.options.timeoutMs} ms (ANSWER_TIMEOUT_MS).`)
      : new SchedulerError('cancelled', 'The client went away; the answer was stopped.');
  }
}
