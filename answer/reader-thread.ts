import { ModelThread, type ThreadActivity } from '../bundle/thread.ts';
import type { ReaderSpan, SpanReader } from './reader.ts';

/**
 * The reader on a thread of its own (bundle/thread.ts): a pass over a passage takes ~40 ms, and
 * onnxruntime-node runs it on the calling thread, so on the event loop two passes per grounded answer
 * held /healthz and every other request (its p99 under the load command's rag mix: ~200 ms).
 */
export class ThreadedReader implements SpanReader {
  private constructor(readonly sha256: string, private readonly thread: ModelThread) {}

  /** The bundle's reader.onnx (`sha256`: readerSha256's) on a new thread; `activity`: its slot among the model threads. */
  static async start(bundleDir: string, sha256: string, threads: number, activity?: ThreadActivity): Promise<ThreadedReader> {
    return new ThreadedReader(sha256, await ModelThread.start('reader', new URL('./reader-worker.ts', import.meta.url), { bundleDir, threads, sha256 }, activity));
  }

  /** Why the thread stopped (null while it runs): readiness reports it. */
  get exited(): string | null {
    return this.thread.exited;
  }

  readEach(question: string, texts: string[], n: number, headerSimilarity?: ReadonlyMap<string, number>): Promise<ReaderSpan[][]> {
    return this.thread.call({ question, texts, n, headerSimilarity });
  }

  close(): Promise<void> {
    return this.thread.close();
  }
}
