/**
 * Starts a streamed answer and waits for its first piece of text (or its end) before the response is
 * opened, so an answer that fails before its first byte (busy, too long, timed out) answers with its own
 * HTTP status instead of an error event inside a 200. After the first byte, errors are events.
 */
export async function untilFirstText<T>(start: (onText: (text: string) => void) => Promise<T>) {
  const early: string[] = [];
  let sink: ((text: string) => void) | null = null;
  let first!: () => void;
  const ready = new Promise<void>((resolve) => (first = resolve));
  const done = start((text) => {
    if (sink) sink(text);
    else early.push(text);
    first();
  });
  await Promise.race([ready, done]); // rejects here when the answer fails before any text
  return {
    done,
    /** Writes the text that came before the stream opened, then every later piece as it comes. */
    async pipe(write: (text: string) => unknown): Promise<void> {
      for (const text of early) await write(text); // pieces that arrive meanwhile are appended and written too
      sink = (text) => void write(text);
    },
  };
}
