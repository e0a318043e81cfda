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

interface Waiter {
  who: string;
  go: () => void;
}

/**
 * The one gate every answer passes: a bounded number run at once, a bounded line waits, each has a
 * deadline, and a caller who goes away (client disconnect) stops its answer at the next token and frees
 * its place. The task receives the signal that fires on timeout or cancellation.
 *
 * Shares are fair between callers (API keys): a freed slot goes to the waiting caller that holds the
 * fewest slots (the longest-waiting among equals), so no key holds more than its share while another
 * waits; and one key fills at most half of the line, so another key always finds a place in it.
 */
export class AnswerScheduler {
  private running = 0;
  private readonly runningBy = new Map<string, number>();
  private readonly waiting: Waiter[] = [];
  private recentSeconds = 1;

  constructor(private readonly options: SchedulerOptions) {}

  get depth() {
    return { running: this.running, waiting: this.waiting.length };
  }

  async run<T>(task: (signal: AbortSignal) => Promise<T>, gone?: AbortSignal, who = 'anonymous'): Promise<T> {
    const busy = this.running >= this.options.maxConcurrent;
    const mine = this.waiting.filter((w) => w.who === who).length;
    const ownShare = Math.max(1, Math.ceil(this.options.maxQueued / 2));
    if (busy && (this.waiting.length >= this.options.maxQueued || mine >= ownShare)) {
      const retry = Math.max(1, Math.ceil(((this.waiting.length + 1) * this.recentSeconds) / this.options.maxConcurrent));
      const why = this.waiting.length >= this.options.maxQueued ? `${this.waiting.length} answers are waiting` : `this key already has ${mine} answers waiting`;
      throw new SchedulerError('queue_full', `${why}; retry in about ${retry} s.`, retry);
    }
    const deadline = AbortSignal.timeout(this.options.timeoutMs);
    const signal = gone ? AbortSignal.any([deadline, gone]) : deadline;
    if (busy) {
      await new Promise<void>((resolve, reject) => {
        const waiter: Waiter = {
          who,
          go: () => {
            signal.removeEventListener('abort', leave);
            resolve();
          },
        };
        const leave = () => {
          this.waiting.splice(this.waiting.indexOf(waiter), 1);
          reject(this.stopped(deadline));
        };
        this.waiting.push(waiter);
        signal.addEventListener('abort', leave, { once: true });
      });
    }
    this.running++;
    this.runningBy.set(who, (this.runningBy.get(who) ?? 0) + 1);
    const started = performance.now();
    try {
      const result = await task(signal);
      if (signal.aborted) throw this.stopped(deadline);
      return result;
    } finally {
      this.recentSeconds = 0.8 * this.recentSeconds + 0.2 * ((performance.now() - started) / 1000);
      this.running--;
      const left = this.runningBy.get(who)! - 1;
      if (left) this.runningBy.set(who, left);
      else this.runningBy.delete(who);
      this.next()?.go();
    }
  }

  /** The waiter whose caller holds the fewest slots; among equals, the one that has waited longest. */
  private next(): Waiter | undefined {
    let best = -1;
    for (let i = 0; i < this.waiting.length; i++) {
      const held = this.runningBy.get(this.waiting[i].who) ?? 0;
      if (best < 0 || held < (this.runningBy.get(this.waiting[best].who) ?? 0)) best = i;
    }
    return best < 0 ? undefined : this.waiting.splice(best, 1)[0];
  }

  private stopped(deadline: AbortSignal): SchedulerError {
    return deadline.aborted
      ? new SchedulerError('timeout', `The answer took longer than ${this.options.timeoutMs} ms (ANSWER_TIMEOUT_MS).`)
      : new SchedulerError('cancelled', 'The client went away; the answer was stopped.');
  }
}
