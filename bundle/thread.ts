import { parentPort, Worker, workerData } from 'node:worker_threads';

/**
 * Model work on threads of its own. onnxruntime-node runs a session on the calling thread: on the event
 * loop, a passage's memory (a full LM pass) or a rag prompt's prefill would hold every other request
 * (acknowledgements, /healthz, other answers' streams) for up to seconds. A ModelThread is a worker
 * thread with its own sessions, spoken to by request/response messages:
 *
 *   parent -> thread  { id, request }          a call
 *   parent -> thread  { cancel: id }           the caller went away
 *   thread -> parent  { id, event }            something the call streams (generated text)
 *   thread -> parent  { id, result }           the call's answer
 *   thread -> parent  { id, error, range }     its failure (range: a RangeError, e.g. a prompt too long)
 */
interface Call {
  resolve: (result: any) => void;
  reject: (err: Error) => void;
  onEvent?: (event: any) => void;
}

export class ModelThread {
  private next = 0;
  private readonly calls = new Map<number, Call>();
  /** Why the thread stopped, once it has. */
  exited: string | null = null;

  private constructor(private readonly worker: Worker, private readonly name: string) {
    worker.on('message', (m: { id: number; event?: unknown; result?: unknown; error?: string; range?: boolean }) => {
      const call = this.calls.get(m.id);
      if (!call) return;
      if ('event' in m) return call.onEvent?.(m.event);
      this.calls.delete(m.id);
      if (m.error !== undefined) call.reject(m.range ? new RangeError(m.error) : new Error(m.error));
      else call.resolve(m.result);
    });
    worker.on('error', (err) => this.failAll(err));
    worker.on('exit', (code) => {
      this.exited = `exited with code ${code}`;
      this.failAll(new Error(`the ${this.name} thread ${this.exited}`));
    });
  }

  /**
   * Starts `module` (a TypeScript file that calls serveCalls) on a new thread; resolves once it is ready.
   * `activity`: the thread's slot among the model threads (its calls are counted there).
   */
  static async start(name: string, module: URL, data: Record<string, unknown>, activity?: ThreadActivity): Promise<ModelThread> {
    const slot = activity && { buffer: activity.buffer, slot: activity.slot };
    const worker = new Worker(new URL('./thread-entry.mjs', import.meta.url), { workerData: { ...data, activity: slot, module: module.href } });
    await new Promise<void>((resolve, reject) => {
      const failed = (err: Error) => reject(err);
      const early = (code: number) => reject(new Error(`the ${name} thread exited with code ${code} before it was ready`));
      worker.once('message', () => {
        worker.off('error', failed);
        worker.off('exit', early);
        resolve();
      });
      worker.once('error', failed);
      worker.once('exit', early);
    });
    return new ModelThread(worker, name);
  }

  /** Sends a call; `transfer` moves buffers instead of copying them; `signal` cancels it on the thread. */
  call<T>(request: unknown, opts: { transfer?: ArrayBuffer[]; onEvent?: (event: any) => void; signal?: AbortSignal } = {}): Promise<T> {
    if (this.exited) return Promise.reject(new Error(`the ${this.name} thread ${this.exited}`));
    const id = this.next++;
    const cancel = () => this.worker.postMessage({ cancel: id });
    opts.signal?.addEventListener('abort', cancel, { once: true });
    return new Promise<T>((resolve, reject) => {
      this.calls.set(id, { resolve, reject, onEvent: opts.onEvent });
      this.worker.postMessage({ id, request }, opts.transfer ?? []);
      if (opts.signal?.aborted) cancel(); // gone before the call was sent: stop it at its first step
    }).finally(() => opts.signal?.removeEventListener('abort', cancel));
  }

  /** Stops the thread: calls in flight fail, and later calls are refused (they would wait forever). */
  async close(): Promise<void> {
    this.worker.removeAllListeners('exit');
    this.exited ??= 'was closed';
    await this.worker.terminate();
    this.failAll(new Error(`the ${this.name} thread ${this.exited}`));
  }

  private failAll(err: Error): void {
    for (const call of this.calls.values()) call.reject(err);
    this.calls.clear();
  }
}

/**
 * Calls in flight on each model thread, in one SharedArrayBuffer the threads share (one Int32 per
 * thread, Atomics): a thread's sessions can see whether another model thread is working right now.
 */
export class ThreadActivity {
  private readonly counts: Int32Array;

  constructor(readonly buffer: SharedArrayBuffer, readonly slot: number) {
    this.counts = new Int32Array(buffer);
    if (slot < 0 || slot >= this.counts.length) throw new RangeError(`activity slot ${slot} of ${this.counts.length}`);
  }

  /** The shared counters for `threads` model threads (slots 0..threads-1). */
  static buffer(threads: number): SharedArrayBuffer {
    return new SharedArrayBuffer(4 * threads);
  }

  begin(): void {
    Atomics.add(this.counts, this.slot, 1);
  }

  end(): void {
    Atomics.sub(this.counts, this.slot, 1);
  }

  /** Whether any other thread has a call in flight. */
  othersBusy(): boolean {
    for (let i = 0; i < this.counts.length; i++) if (i !== this.slot && Atomics.load(this.counts, i) > 0) return true;
    return false;
  }
}

export interface ThreadCall<Req> {
  request: Req;
  /** Fires when the caller cancels the call. */
  signal: AbortSignal;
  /** Streams an event to the caller. */
  emit(event: unknown): void;
}

/**
 * The thread's side: answers each call with `handle`; a result's `transfer` buffers are moved, not copied.
 * Each call counts in the thread's activity slot while it runs (when it was started with one).
 */
export function serveCalls<Req>(handle: (call: ThreadCall<Req>) => Promise<{ result: unknown; transfer?: ArrayBuffer[] }>): void {
  const port = parentPort!;
  const running = new Map<number, AbortController>();
  const activity = threadActivity();
  port.on('message', async (m: { id: number; request: Req } | { cancel: number }) => {
    if ('cancel' in m) return running.get(m.cancel)?.abort();
    const controller = new AbortController();
    running.set(m.id, controller);
    activity?.begin();
    try {
      const { result, transfer } = await handle({ request: m.request, signal: controller.signal, emit: (event) => port.postMessage({ id: m.id, event }) });
      port.postMessage({ id: m.id, result }, transfer ?? []);
    } catch (err) {
      port.postMessage({ id: m.id, error: (err as Error).message, range: err instanceof RangeError });
    } finally {
      activity?.end();
      running.delete(m.id);
    }
  });
  port.postMessage({ ready: true });
}

/** What the thread was started with (ModelThread.start's data). */
export const threadData = workerData as Record<string, any>;

/** This thread's activity counters (ModelThread.start's `activity` data), if it was given a slot. */
export function threadActivity(): ThreadActivity | null {
  const a = threadData?.activity as { buffer: SharedArrayBuffer; slot: number } | undefined;
  return a ? new ThreadActivity(a.buffer, a.slot) : null;
}

/**
 * A thread's spin setting as loadBundle takes it: `auto` spins only while no other model thread is
 * working (bundle/load.ts), read from this thread's activity slot.
 */
export function threadSpinWait(setting: SpinSetting): boolean | (() => boolean) {
  if (setting !== 'auto') return setting;
  const activity = threadActivity();
  if (!activity) throw new Error('SPIN_WAIT=auto needs the thread started with an activity slot');
  return () => !activity.othersBusy();
}

/** SPIN_WAIT: spin always, never, or only while the other model thread is idle. */
export type SpinSetting = boolean | 'auto';
