import { loadBundle } from '../bundle/index.ts';
import { serveCalls, threadData, threadSpinWait } from '../bundle/thread.ts';
import { OnnxEncoder } from './onnx-encoder.ts';
import type { EncodedPassage } from './types.ts';

/**
 * The encoding thread: its own retrieval-encoder and memory-encoder sessions; documents in, their passages
 * out (`split`), and passages in, embeddings and memories out (`encode`).
 */
const bundle = await loadBundle(threadData.bundleDir, { threads: threadData.threads, verifyHashes: false, models: ['encoder', 'memory_encoder'], spinWait: threadSpinWait(threadData.spinWait) });
const encoder = new OnnxEncoder(bundle, threadData.codec);
/** An array that is the whole of its buffer (not a slice of a pooled one) can be moved instead of copied. */
const ownsBuffer = (a: ArrayBufferView) => a.byteOffset === 0 && a.byteLength === a.buffer.byteLength;
serveCalls<{ split: string[] } | { encode: string[] }>(async ({ request }) => {
  if ('split' in request) return { result: await encoder.splitDocuments(request.split) };
  const passages: EncodedPassage[] = await encoder.encodePassages(request.encode);
  return { result: passages, transfer: passages.flatMap((p) => [p.embedding, p.memory.bytes, p.sentenceEmbeddings].filter(ownsBuffer).map((a) => a.buffer)) as ArrayBuffer[] };
});
