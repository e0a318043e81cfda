import { join } from 'node:path';
import { z } from 'zod';
import { ON_CONFLICT } from '../answer/modes.ts';
import { CODECS } from '../memory/types.ts';

const list = z.string().default('').transform((s) => s.split(',').map((x) => x.trim()).filter(Boolean));
const num = (d: number) => z.coerce.number().default(d);

/** Every setting, from the environment; README's configuration table mirrors this. */
export const configSchema = z.object({
  PORT: num(8080),
  HOST: z.string().default('0.0.0.0'),
  DATA_DIR: z.string().default('data'),
  BUNDLE_DIR: z.string().default('bundles/default'),
  API_KEYS: list,
  WEBHOOK_SECRETS: list,
  WEBHOOK_TOLERANCE_S: num(300),
  MAX_BODY_BYTES: num(2 * 1024 * 1024),
  // Storage of passage memories; unset: the bundle's (manifest memory.codec).
  MODULATION_CODEC: z.enum(CODECS).optional(),
  THREADS: num(0).describe('ONNX Runtime intra-op threads per model; 0 = all cores'),
  // Memories fused into the prefix (mac, hybrid); unset: the bundle's (manifest memory.fused).
  MAC_TOP_K: z.coerce.number().int().positive().optional(),
  // Passages in the prompt (rag, hybrid). One: the 135M LM answers better from the best passage alone than
  // from the best three (grounded rag F1 22.8 vs 17.5 on 500 SQuAD questions: results/README.md).
  RAG_TOP_K: num(1),
  // Grounded answers where the bundle has a reader: it reads this many of the best retrieved passages and
  // the RAG_TOP_K it answers best from go into the prompt (results/README.md, "The reader chooses the passage").
  READER_PASSAGES: z.coerce.number().int().min(1).max(16).default(2),
  // Answers generated at once, answers allowed to wait (beyond: 429 with Retry-After), and one answer's
  // wall-clock limit, waiting included (beyond: 504). The LM runs one pass at a time; the decode steps of
  // up to DECODE_BATCH answers in flight run as one pass (continuous batching; 1 turns it off).
  MAX_CONCURRENT_ANSWERS: num(8),
  DECODE_BATCH: z.coerce.number().int().min(1).default(8),
  // Recent prompt passes kept (MB) so a prompt that begins as one of them did runs over the rest only (0: off).
  PROMPT_CACHE_MB: z.coerce.number().min(0).default(256),
  // The LM's and the memory encoder's idle threads spin for work between passes: faster alone; beside
  // continuous ingestion they contend for the cores (results/README.md, "Under load"). auto: a thread
  // spins only while the other model thread is idle.
  SPIN_WAIT: z.enum(['true', 'false', 'auto']).default('auto').transform((s) => (s === 'auto' ? s : s === 'true')),
  MAX_QUEUED_ANSWERS: num(16),
  ANSWER_TIMEOUT_MS: num(60_000),
  // Grounded answers (a span of the passages read, cited): the modes that ground when a request
  // does not say, and the stop's bias (above 0: shorter answers). Chosen by measurement: results/README.md.
  GROUNDED: z.string().default('rag,hybrid').transform((s, ctx) => {
    const modes = s.split(',').map((x) => x.trim()).filter(Boolean);
    const bad = modes.filter((m) => !['mac', 'rag', 'hybrid'].includes(m));
    if (bad.length) ctx.addIssue({ code: 'custom', message: `GROUNDED lists modes with passages to copy from (mac, rag, hybrid), not ${bad.join(', ')}` });
    return new Set(modes);
  }),
  GROUNDED_STOP_BIAS: num(0),
  // An answer where a newer document read for it answers otherwise (every mode that retrieves, with a reader):
  // `note` (answer as it would, the newer answers listed in `conflicts`) or `newer` (set the older aside).
  // Measured: docs/experiments.md, "A newer document that answers differently" and "Conflicts told in `mac`".
  ON_CONFLICT: z.enum(ON_CONFLICT).default('note'),
  // Refuse before any reading when no proposed passage, nor any of its sentences, is this near the question
  // (cosine): docs/experiments.md, "The similarity gate reads sentences" (refuses 1% of answerable questions).
  ABSTAIN_BELOW: num(0.36),
  // Abstain when the calibrated confidence (the bundle's calibration.json) is below this: `auto` takes each
  // mode's threshold fitted with the calibration, a number in [0, 1] one for every mode, 0 never.
  ABSTAIN_BELOW_CONFIDENCE: z.string().default('auto').transform((s, ctx) => {
    if (s === 'auto') return s;
    const x = Number(s);
    if (s.trim() === '' || !(x >= 0 && x <= 1)) ctx.addIssue({ code: 'custom', message: `ABSTAIN_BELOW_CONFIDENCE is 'auto' or a number from 0 to 1, not '${s}'` });
    return x;
  }),
  // How candidates are found: hnswlib fused with SQLite FTS5 keyword hits (answer/candidates.ts), or
  // hnswlib alone. `hybrid` is the old name of `vector+keyword` (accepted with a warning for one
  // release: `hybrid` is an answer mode).
  RETRIEVAL: z.enum(['vector', 'vector+keyword', 'hybrid']).default('vector+keyword').transform((r) => {
    if (r !== 'hybrid') return r;
    console.warn("RETRIEVAL=hybrid is deprecated: use RETRIEVAL=vector+keyword ('hybrid' names the answer mode)");
    return 'vector+keyword' as const;
  }),
  WORKER_BATCH: num(16),
  WORKER_MAX_ATTEMPTS: num(3),
  SNAPSHOT_INTERVAL_S: num(60),
  FRESHNESS_SLA_S: num(86_400),
  PROBE_INTERVAL_S: num(300),
  VERIFY_BUNDLE: z.enum(['hash', 'size']).default('hash'),
  // Inference role (behind the Cloudflare Worker edge): the shared secret opens /internal/v1.
  INFERENCE_SECRET: z.string().min(16, 'INFERENCE_SECRET must be at least 16 characters').optional(),
  INFERENCE_INDEX_TIMEOUT_S: num(60),
});
export type Config = z.infer<typeof configSchema>;

export function readConfig(env: Record<string, string | undefined> = process.env): Config {
  if (env.LM_SPIN_WAIT !== undefined) {
    console.warn('LM_SPIN_WAIT is deprecated: use SPIN_WAIT (the LM and the memory encoder together)');
    env = { SPIN_WAIT: env.LM_SPIN_WAIT, ...env };
  }
  const parsed = configSchema.safeParse(env);
  if (!parsed.success) throw new Error(`Invalid configuration:\n${z.prettifyError(parsed.error)}`);
  return parsed.data;
}

export const paths = (c: Config) => ({ database: join(c.DATA_DIR, 'memory.sqlite'), index: join(c.DATA_DIR, 'index.hnsw') });
