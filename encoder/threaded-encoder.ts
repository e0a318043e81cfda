import { ModelThread, type SpinSetting, type ThreadActivity } from '../bundle/thread.ts';
import type { OnnxEncoder } from './onnx-encoder.ts';
import type { EncodedPassage, EncodedQuestion, Encoder } from './types.ts';

/**
 * Documents are split and their passages encoded on a thread of their own (bundle/thread.ts): a passage's
 * memory is a full LM pass (about a second on 2 cores), and splitting counts tokens over the whole text (on
 * the event loop, a batch of ten 150 k-character documents held every request for seconds). Questions stay
 * on the calling thread (one small encoder pass), as do single token counts.
 */
export class ThreadedEncoder implements Encoder {
  readonly dim: number;
  readonly maxPassageTokens: number;

  private constructor(private readonly local: OnnxEncoder, private readonly thread: ModelThread) {
    this.dim = local.dim;
    this.maxPassageTokens = local.maxPassageTokens;
  }

  /**
   * Starts the thread and waits until its sessions are loaded; its passages' memories come out in `local`'s
   * codec. `spinWait`: SPIN_WAIT (`auto` needs `activity`, the thread's slot).
   */
  static async start(local: OnnxEncoder, bundleDir: string, threads: number, spinWait: SpinSetting = true, activity?: ThreadActivity): Promise<ThreadedEncoder> {
    const data = { bundleDir, threads, spinWait, codec: local.codec };
    return new ThreadedEncoder(local, await ModelThread.start('encoding', new URL('./encode-worker.ts', import.meta.url), data, activity));
  }

  countTokens(text: string): number {
    return this.local.countTokens(text);
  }

  encodeQuestion(text: string): Promise<EncodedQuestion> {
    return this.local.encodeQuestion(text);
  }

  splitDocuments(texts: string[]): Promise<string[][]> {
    return this.thread.call<string[][]>({ split: texts });
  }

  encodePassages(texts: string[]): Promise<EncodedPassage[]> {
    return this.thread.call({ encode: texts });
  }

  close(): Promise<void> {
    return this.thread.close();
  }
}
