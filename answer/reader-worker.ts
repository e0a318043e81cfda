import { loadBundle } from '../bundle/index.ts';
import { serveCalls, threadData } from '../bundle/thread.ts';
import { Reader } from './reader.ts';

/** The reader thread: its own reader session and the encoder's tokenizer; a question and texts in, each text's best spans out. */
interface ReadCall {
  question: string;
  texts: string[];
  n: number;
  headerSimilarity?: Map<string, number>;
}

const bundle = await loadBundle(threadData.bundleDir, { verifyHashes: false, models: [] });
const reader = await Reader.load(threadData.bundleDir, bundle.encoderTokenizer, threadData.threads, threadData.sha256);
if (!reader) throw new Error(`no reader in ${threadData.bundleDir}`);
serveCalls<ReadCall>(async ({ request: r }) => ({ result: await reader.readEach(r.question, r.texts, r.n, r.headerSimilarity) }));
