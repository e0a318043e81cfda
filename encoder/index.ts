export { bundleSplitter } from './bundle-splitter.ts';
export { codecOfFormat, KvMemoryEncoder, memoryFormat } from './kv-memory.ts';
export { OnnxEncoder } from './onnx-encoder.ts';
export { splitForEncoder, splitPassages } from './passages.ts';
export { isSalient, selectSlots } from './slots.ts';
export { ThreadedEncoder } from './threaded-encoder.ts';
export type { EncodedPassage, EncodedQuestion, Encoder } from './types.ts';
