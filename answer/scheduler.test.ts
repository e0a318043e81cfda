import { describe, expect, it } from 'vitest';
import { AnswerScheduler, SchedulerError } from './scheduler.ts';

const sleep = (ms: number, signal?: AbortSignal) => new Promise<void>((resolve) => {
  const t = setTimeout(resolve, ms);
  signal?.addEventListener('abort', () => { clearTimeout(t); resolve(); });
});

describe('answer scheduler', () => {
  it('runs at most maxConcurrent at once and refuses beyond the queue with a retry hint', async () => {
    const s = new AnswerScheduler({ maxConcurrent: 1, maxQueued: 1, timeoutMs: 5_000 });
    let peak = 0;
    const task = async (signal: AbortSignal) => {
      peak = Math.max(peak, s.depth.running);
      await sleep(50, signal);
      return 'done';
    };
    const a = s.run(task);
    const b = s.run(task);
    const c = s.run(task).catch((e) => e);
    expect(await c).toBeInstanceOf(SchedulerError);
    expect((await c).reason).toBe('queue_full');
    expect((await c).retryAfterSeconds).toBeGreaterThanOrEqual(1);
    expect(await Promise.all([a, b])).toEqual(['done', 'done']);
    expect(peak).toBe(1);
  });

  it('stops an answer whose caller went away, and frees its place for the next', async () => {
    const s = new AnswerScheduler({ maxConcurrent: 1, maxQueued: 4, timeoutMs: 5_000 });
    const caller = new AbortController();
    let sawAbort = false;
    const first = s.run(async (signal) => {
      await sleep(10_000, signal);
      sawAbort = signal.aborted;
    }, caller.signal).catch((e) => e);
    const second = s.run(async () => 'next');
    setTimeout(() => caller.abort(), 20);
    expect((await first).reason).toBe('cancelled');
    expect(sawAbort).toBe(true);
    expect(await second).toBe('next');
    expect(s.depth).toEqual({ running: 0, waiting: 0 });
  });

  it('times out, waiting included', async () => {
    const s = new AnswerScheduler({ maxConcurrent: 1, maxQueued: 4, timeoutMs: 30 });
    const slow = s.run((signal) => sleep(1_000, signal)).catch((e) => e);
    const queued = s.run((signal) => sleep(1_000, signal)).catch((e) => e);
    expect((await slow).reason).toBe('timeout');
    expect((await queued).reason).toBe('timeout');
  });

  it('shares slots fairly between keys: a freed slot goes to the key holding fewest, and one key fills at most half the line', async () => {
    const s = new AnswerScheduler({ maxConcurrent: 2, maxQueued: 6, timeoutMs: 5_000 });
    const order: string[] = [];
    const task = (name: string) => async (signal: AbortSignal) => {
      await sleep(20, signal);
      order.push(name);
    };
    // Key A floods: two run, three wait (half the line); its fourth waiting answer is refused.
    const a = ['a1', 'a2', 'a3', 'a4', 'a5'].map((n) => s.run(task(n), undefined, 'A'));
    const b = ['b1', 'b2'].map((n) => s.run(task(n), undefined, 'B'));
    const refused = await s.run(task('a6'), undefined, 'A').catch((e) => e);
    expect(refused.reason).toBe('queue_full');
    expect(refused.message).toMatch(/this key already has 3 answers waiting/);
    await Promise.all([...a, ...b]);
    // B's answers are served as soon as slots free, ahead of A's earlier-queued ones.
    expect(order.indexOf('b1')).toBeLessThan(order.indexOf('a3'));
    expect(order.indexOf('b2')).toBeLessThan(order.indexOf('a4'));
  });
});
