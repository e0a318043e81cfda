import { ModelThread } from '../bundle/thread.ts';

/**
 * Web pages sent to the webhook (`"format": "html"`) are converted to text on a thread of their own
 * (core/html-text.ts): on the event loop a 2 MB page of tables held every other request for about half a
 * second (~240 ms per MB of table rows, ~90 ms per MB of paragraphs).
 */
export class HtmlThread {
  private constructor(private readonly thread: ModelThread) {}

  static async start(): Promise<HtmlThread> {
    return new HtmlThread(await ModelThread.start('html', new URL('./html-worker.ts', import.meta.url), {}));
  }

  /** Why the thread stopped (null while it runs): readiness reports it. */
  get exited(): string | null {
    return this.thread.exited;
  }

  toText(html: string): Promise<string> {
    return this.thread.call({ html });
  }

  close(): Promise<void> {
    return this.thread.close();
  }
}
