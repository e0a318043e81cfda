export { OnnxEncoder } from './onnx-encoder.ts';
export { splitForEncoder, splitPassages } from './passages.ts';
export type { EncodedPassage, EncodedQuestion, Encoder } from './types.ts';
