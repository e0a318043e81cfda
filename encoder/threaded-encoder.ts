import { Worker } from 'node:worker_threads';
import type { OnnxEncoder } from './onnx-encoder.ts';
import type { EncodedPassage, EncodedQuestion, Encoder } from './types.ts';

/**
 * Passages are encoded on a thread of their own. onnxruntime-node runs a session on the calling thread,
 * and a passage's memory is a full LM pass (about a second on 2 cores): on the event loop, every request
 * (acknowledgements, /healthz, answers' streams) would wait behind it. Questions stay on the calling
 * thread (one small MiniLM pass), as do token counts.
 */
export class ThreadedEncoder implements Encoder {
  readonly dim: number;
  readonly maxPassageTokens: number;
  private next = 0;
  private readonly pending = new Map<number, { resolve: (p: EncodedPassage[]) => void; reject: (e: Error) => void }>();

  private constructor(private readonly local: OnnxEncoder, private readonly worker: Worker) {
    this.dim = local.dim;
    this.maxPassageTokens = local.maxPassageTokens;
    worker.on('message', (m: { id: number; passages?: EncodedPassage[]; error?: string; range?: boolean }) => {
      const call = this.pending.get(m.id);
      if (!call) return;
      this.pending.delete(m.id);
      if (m.error !== undefined) call.reject(m.range ? new RangeError(m.error) : new Error(m.error));
      else call.resolve(m.passages!);
    });
    worker.on('error', (err) => this.failAll(err));
    worker.on('exit', (code) => this.failAll(new Error(`the encoding thread exited (code ${code})`)));
  }

  /** Starts the thread and waits until its sessions are loaded. */
  static async start(local: OnnxEncoder, bundleDir: string, threads: number): Promise<ThreadedEncoder> {
    const worker = new Worker(new URL('./encode-worker.mjs', import.meta.url), { workerData: { bundleDir, threads } });
    await new Promise<void>((resolve, reject) => {
      worker.once('message', () => resolve());
      worker.once('error', reject);
    });
    return new ThreadedEncoder(local, worker);
  }

  countTokens(text: string): number {
    return this.local.countTokens(text);
  }

  encodeQuestion(text: string): Promise<EncodedQuestion> {
    return this.local.encodeQuestion(text);
  }

  encodePassages(texts: string[]): Promise<EncodedPassage[]> {
    const id = this.next++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ id, texts });
    });
  }

  async close(): Promise<void> {
    this.worker.removeAllListeners('exit');
    await this.worker.terminate();
  }

  private failAll(err: Error): void {
    for (const call of this.pending.values()) call.reject(err);
    this.pending.clear();
  }
}
