import { loadBundle } from '../bundle/index.ts';
import { serveCalls, threadData, threadSpinWait } from '../bundle/thread.ts';
import { OnnxEncoder } from './onnx-encoder.ts';
import type { EncodedPassage } from './types.ts';

/**
 * The encoding thread: its own retrieval-encoder and memory-encoder sessions; documents in, their passages
 * out (`split`), and passages in, embeddings and memories out (`encode`).
 */
const bundle = await loadBundle(threadData.bundleDir, { threads: threadData.threads, verifyHashes: false, models: ['encoder', 'memory_encoder'], spinWait: threadSpinWait(threadData.spinWait) });
const encoder = new OnnxEncoder(bundle);
serveCalls<{ split: string[] } | { encode: string[] }>(async ({ request }) => {
  if ('split' in request) return { result: await encoder.splitDocuments(request.split) };
  const passages: EncodedPassage[] = await encoder.encodePassages(request.encode);
  return { result: passages, transfer: passages.flatMap((p) => [p.embedding.buffer, p.modulation.buffer, p.sentenceEmbeddings.buffer]) as ArrayBuffer[] };
});
