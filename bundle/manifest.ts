import { z } from 'zod';
import { CODECS } from '../memory/types.ts';

/** The Python/TypeScript contract: what `python -m mac.export` writes into manifest.json. */
export const SUPPORTED_FORMAT = 'mac-bundle';
export const SUPPORTED_FORMAT_VERSION = 1;

const ioSpec = z.object({
  name: z.string(),
  dtype: z.enum(['float32', 'int64', 'float16', 'int8']),
  shape: z.array(z.union([z.number().int(), z.string()])),
});

const modelSpec = z.object({ file: z.string(), inputs: z.array(ioSpec), outputs: z.array(ioSpec) });

export const manifestSchema = z.object({
  format: z.literal(SUPPORTED_FORMAT),
  format_version: z.literal(SUPPORTED_FORMAT_VERSION),
  bundle_id: z.string(),
  name: z.string(),
  dims: z.object({
    lm_layers: z.number().int().positive(),
    lm_kv_heads: z.number().int().positive(),
    lm_head_dim: z.number().int().positive(),
    lm_vocab: z.number().int().positive(),
    encoder_dim: z.number().int().positive(),
  }),
  limits: z.object({
    max_passage_tokens: z.number().int().positive(),
    max_question_tokens: z.number().int().positive(),
    max_lm_tokens: z.number().int().positive(),
  }),
  prompt: z.object({
    template: z.string().includes('{question}'),
    context: z.string().includes('{passages}'),
    /** The question's turn, which ends the template; earlier turns of a conversation are written with it too. */
    question_turn: z.string().includes('{question}'),
    passage_separator: z.string(),
    /** What ends an answer in the template's turns (scored after the answer by lm/nll.ts). */
    answer_suffix: z.string(),
    stop_token_ids: z.array(z.number().int()),
  }).refine((p) => p.template.endsWith(p.question_turn), 'prompt.template must end with prompt.question_turn'),
  /** The passage memory: which of the LM's own cached key/values a passage keeps, and how they are stored. */
  memory: z.object({
    kind: z.literal('kv'),
    selection: z.enum(['salient', 'words', 'uniform']),
    slots: z.number().int().positive(),
    placement: z.enum(['relative', 'compact']),
    codec: z.enum(CODECS),
    fused: z.number().int().positive(),
    rope_inv_freq: z.array(z.number()).min(1),
    /** The trained memory encoder (the LM with adapters on its reading pass); absent: the LM reads as is. */
    encoder: z
      .object({
        file: z.string(),
        weights_sha256: z.string().length(64),
        lora_rank: z.number().int().positive(),
        training: z.record(z.string(), z.unknown()).optional(),
      })
      .optional(),
  }),
  models: z.object({
    encoder: modelSpec,
    lm: modelSpec,
    memory_encoder: modelSpec.optional(),
  }),
  tokenizers: z.object({ lm: z.string(), encoder: z.string() }),
  files: z.record(z.string(), z.object({ sha256: z.string().length(64), bytes: z.number().int() })),
  base_model: z.record(z.string(), z.unknown()),
  /** How the LM graph is written ('fused' or 'traced') and, for a derived bundle, how its weights are stored. */
  lm_graph: z.string().optional(),
  quantization: z.object({ lm: z.string().optional(), encoder: z.string().optional(), from_bundle: z.string() }).optional(),
});

export type Manifest = z.infer<typeof manifestSchema>;
export type ModelSpec = z.infer<typeof modelSpec>;
export type ModelName = keyof Manifest['models'];
export type MemorySpec = Manifest['memory'];
