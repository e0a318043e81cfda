import { ModelThread } from '../bundle/thread.ts';

/**
 * WAL checkpoints on a thread of their own. SQLite copies the write-ahead log into the database file every
 * 1,000 pages, in the connection that commits: on the event loop, while a worker round stores memories
 * (~450 KB each on the default bundle), those copies were about 40% of storing's time there. The service's
 * connection stops checkpointing (SqliteStore.checkpointElsewhere) and this thread's connection checkpoints
 * every `intervalMs`; should the thread stop, the service's connection checkpoints again.
 */
export class CheckpointThread {
  private timer: NodeJS.Timeout | null = null;
  private running = false;

  private constructor(private readonly thread: ModelThread, private readonly onStopped: (why: string) => void) {}

  /** Starts checkpointing the database at `path` every `intervalMs`; `onStopped` hears if the thread fails. */
  static async start(path: string, intervalMs: number, onStopped: (why: string) => void): Promise<CheckpointThread> {
    const checkpoints = new CheckpointThread(await ModelThread.start('checkpoint', new URL('./checkpoint-worker.ts', import.meta.url), { path }), onStopped);
    checkpoints.timer = setInterval(() => void checkpoints.checkpoint(), intervalMs);
    checkpoints.timer.unref();
    return checkpoints;
  }

  /** One passive checkpoint, unless one is still running; resolves with the WAL's pages and those copied. */
  async checkpoint(): Promise<{ log: number; checkpointed: number } | null> {
    if (this.running || !this.timer) return null;
    this.running = true;
    try {
      return await this.thread.call<{ log: number; checkpointed: number }>('checkpoint');
    } catch (err) {
      const closing = !this.timer; // close() ended the call: nothing failed
      this.stop();
      if (!closing) this.onStopped(`the checkpoint thread failed (${(err as Error).message})`);
      return null;
    } finally {
      this.running = false;
    }
  }

  private stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  async close(): Promise<void> {
    this.stop();
    await this.thread.close();
  }
}
