import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';
import { BundleError, REBUILD_HINT } from './errors.ts';

export interface TextTokenizer {
  /** Token ids; `special` adds the model's own markers ([CLS]/[SEP] for the encoder). */
  encode(text: string, special: boolean): number[];
  decode(ids: number[]): string;
}

export function loadTokenizer(path: string): TextTokenizer {
  if (!existsSync(path)) throw new BundleError(`Tokenizer ${path} is missing. ${REBUILD_HINT}`);
  const configPath = join(dirname(path), 'tokenizer_config.json');
  const config = existsSync(configPath) ? JSON.parse(readFileSync(configPath, 'utf8')) : {};
  const tokenizer = new Tokenizer(JSON.parse(readFileSync(path, 'utf8')), config);
  return {
    encode: (text, special) => tokenizer.encode(text, { add_special_tokens: special }).ids,
    decode: (ids) => tokenizer.decode(ids, { skip_special_tokens: true }),
  };
}
