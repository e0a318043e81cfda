import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadTokenizer } from '../bundle/tokenizer.ts';
import type { Encoder } from './types.ts';

/**
 * What the ingestion worker splits a bundle's documents with (OnnxEncoder's countTokens and passage limit),
 * without loading its models: for splitForEncoder in tools that read passages (eval, bench).
 */
export function bundleSplitter(bundleDir: string): Pick<Encoder, 'countTokens' | 'maxPassageTokens'> {
  const manifest = JSON.parse(readFileSync(join(bundleDir, 'manifest.json'), 'utf8'));
  const tokenizer = loadTokenizer(join(bundleDir, manifest.tokenizers.encoder));
  return { countTokens: (s: string) => tokenizer.encode(s, false).length, maxPassageTokens: manifest.limits.max_passage_tokens as number };
}
