import { loadBundle } from '../bundle/index.ts';
import { serveCalls, threadData, threadSpinWait } from '../bundle/thread.ts';
import type { Grounding } from '../lm/index.ts';
import type { StoredMemory } from '../memory/index.ts';
import { LocalLm } from './lm.ts';

/** The LM thread: its own LM session; prompt and stored memories in, streamed text and the generation out. */
interface GenerateCall {
  prompt: string;
  memories: StoredMemory[];
  maxNewTokens: number;
  stream: boolean;
  grounding?: Grounding;
  avoidStarts?: string[];
}

const bundle = await loadBundle(threadData.bundleDir, { threads: threadData.threads, verifyHashes: false, models: ['lm'], spinWait: threadSpinWait(threadData.spinWait) });
const lm = new LocalLm(bundle, { maxBatch: threadData.maxBatch, promptCacheBytes: threadData.promptCacheBytes });
serveCalls<GenerateCall>(async ({ request: r, signal, emit }) => ({
  result: await lm.generate(r.prompt, r.memories, { maxNewTokens: r.maxNewTokens, signal, onText: r.stream ? emit : undefined, grounding: r.grounding, avoidStarts: r.avoidStarts }),
}));
