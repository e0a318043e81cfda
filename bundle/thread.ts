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

  /** Starts `module` (a TypeScript file that calls serveCalls) on a new thread; resolves once it is ready. */
  static async start(name: string, module: URL, data: Record<string, unknown>): Promise<ModelThread> {
    const worker = new Worker(new URL('./thread-entry.mjs', import.meta.url), { workerData: { ...data, module: module.href } });
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

  async close(): Promise<void> {
    this.worker.removeAllListeners('exit');
    await this.worker.terminate();
  }

  private failAll(err: Error): void {
    for (const call of this.calls.values()) call.reject(err);
    this.calls.clear();
  }
}

export interface ThreadCall<Req> {
  request: Req;
  /** Fires when the caller cancels the call. */
  signal: AbortSignal;
  /** Streams an event to the caller. */
  emit(event: unknown): void;
}

/** The thread's side: answers each call with `handle`; a result's `transfer` buffers are moved, not copied. */
export function serveCalls<Req>(handle: (call: ThreadCall<Req>) => Promise<{ result: unknown; transfer?: ArrayBuffer[] }>): void {
  const port = parentPort!;
  const running = new Map<number, AbortController>();
  port.on('message', async (m: { id: number; request: Req } | { cancel: number }) => {
    if ('cancel' in m) return running.get(m.cancel)?.abort();
    const controller = new AbortController();
    running.set(m.id, controller);
    try {
      const { result, transfer } = await handle({ request: m.request, signal: controller.signal, emit: (event) => port.postMessage({ id: m.id, event }) });
      port.postMessage({ id: m.id, result }, transfer ?? []);
    } catch (err) {
      port.postMessage({ id: m.id, error: (err as Error).message, range: err instanceof RangeError });
    } finally {
      running.delete(m.id);
    }
  });
  port.postMessage({ ready: true });
}

/** What the thread was started with (ModelThread.start's data). */
export const threadData = workerData as Record<string, any>;
