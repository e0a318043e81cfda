import { ModelThread, type SpinSetting, type ThreadActivity } from '../bundle/thread.ts';
import type { OnnxEncoder } from './onnx-encoder.ts';
import type { EncodedPassage, EncodedQuestion, Encoder } from './types.ts';

/**
 * Passages are encoded on a thread of their own (bundle/thread.ts): a passage's memory is a full LM pass
 * (about a second on 2 cores). Questions stay on the calling thread (one small encoder pass), as do
 * token counts.
 */
export class ThreadedEncoder implements Encoder {
  readonly dim: number;
  readonly maxPassageTokens: number;

  private constructor(private readonly local: OnnxEncoder, private readonly thread: ModelThread) {
    this.dim = local.dim;
    this.maxPassageTokens = local.maxPassageTokens;
  }

  /** Starts the thread and waits until its sessions are loaded; `spinWait`: SPIN_WAIT (`auto` needs `activity`, the thread's slot). */
  static async start(local: OnnxEncoder, bundleDir: string, threads: number, spinWait: SpinSetting = true, activity?: ThreadActivity): Promise<ThreadedEncoder> {
    return new ThreadedEncoder(local, await ModelThread.start('encoding', new URL('./encode-worker.ts', import.meta.url), { bundleDir, threads, spinWait }, activity));
  }

  countTokens(text: string): number {
    return this.local.countTokens(text);
  }

  encodeQuestion(text: string): Promise<EncodedQuestion> {
    return this.local.encodeQuestion(text);
  }

  encodePassages(texts: string[]): Promise<EncodedPassage[]> {
    return this.thread.call(texts);
  }

  close(): Promise<void> {
    return this.thread.close();
  }
}
