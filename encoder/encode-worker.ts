import { parentPort, workerData } from 'node:worker_threads';
import { loadBundle } from '../bundle/index.ts';
import { OnnxEncoder } from './onnx-encoder.ts';

/** The encoding thread: its own bundle sessions; passages in, embeddings and memories out. */
const bundle = await loadBundle(workerData.bundleDir, { threads: workerData.threads, verifyHashes: false });
const encoder = new OnnxEncoder(bundle);
parentPort!.on('message', async ({ id, texts }: { id: number; texts: string[] }) => {
  try {
    const passages = await encoder.encodePassages(texts);
    const buffers = passages.flatMap((p) => [p.embedding.buffer, p.modulation.buffer]);
    parentPort!.postMessage({ id, passages }, buffers as ArrayBuffer[]);
  } catch (err) {
    parentPort!.postMessage({ id, error: (err as Error).message, range: err instanceof RangeError });
  }
});
parentPort!.postMessage({ ready: true });
