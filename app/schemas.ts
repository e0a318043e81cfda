import { z } from 'zod';
import { MODES, ON_CONFLICT } from '../answer/modes.ts';

/** The single source of request/response types and of /openapi.json. */
export const LIMITS = { textChars: 200_000, batchDocuments: 100, metadataBytes: 16_384, metadataDepth: 32, questionChars: 2_000 } as const;

/** Missing fields say `required` instead of zod's "expected string, received undefined". */
const required = { error: (issue: { input: unknown }) => (issue.input === undefined ? 'required' : undefined) };

/** Nesting depth of a JSON value, without recursion (a deeply nested body must not overflow the stack). */
export function jsonDepth(value: unknown): number {
  let deepest = 0;
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length) {
    const [v, depth] = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    deepest = Math.max(deepest, depth);
    for (const child of Object.values(v)) stack.push([child, depth + 1]);
  }
  return deepest;
}

/**
 * One id rule for the whole API: letters, digits and . _ : / @ # -, and no empty, `.` or `..` segment
 * between slashes, so every id round-trips in a URL path.
 */
export const documentIdSchema = z.string(required).min(1).max(256)
  .regex(/^[\w.:\/@#-]+$/, 'use letters, digits and . _ : / @ # - (pattern ^[\\w.:/@#-]+$)')
  .refine((id) => !id.split('/').some((s) => s === '' || s === '.' || s === '..'), 'no empty, "." or ".." segment between slashes');

export const collectionSchema = z.string().min(1).max(64)
  .regex(/^[\w.-]+$/, 'use letters, digits and . _ - (pattern ^[\\w.-]+$)');

export const collectionCreateSchema = z.strictObject({ name: collectionSchema });

export const documentSchema = z.strictObject({
  id: documentIdSchema,
  collection: collectionSchema.optional().describe("the collection it belongs to (default 'default'); API keys may be scoped to collections"),
  text: z.string(required).trim().min(1, 'text must not be empty').max(LIMITS.textChars)
    // zero-width and other invisible characters are not trimmed: a text of them alone made a passage of nothing
    .refine((text) => /[\p{L}\p{N}]/u.test(text), 'text holds no letter or digit'),
  format: z.enum(['text', 'html']).optional()
    .describe("'html': text is an HTML page, kept as its text with tables as Markdown pipe rows, headings as '#' lines and definition lists as 'term: definition' lines (default 'text')"),
  title: z.string().max(1_000).nullish(),
  source: z.string().max(200).nullish(),
  url: z.url({ protocol: /^https?$/, error: 'url must be an http(s) URL' }).max(2_000).nullish(),
  published_at: z.iso.datetime({ offset: true }).nullish(),
  metadata: z
    .record(z.string(), z.unknown())
    .refine((m) => jsonDepth(m) <= LIMITS.metadataDepth, `metadata must nest at most ${LIMITS.metadataDepth} levels deep`)
    .refine((m) => jsonDepth(m) > LIMITS.metadataDepth || JSON.stringify(m).length <= LIMITS.metadataBytes, `metadata must serialize to at most ${LIMITS.metadataBytes} bytes`)
    .nullish(),
});
export type DocumentBody = z.infer<typeof documentSchema>;

/** A batch is checked item by item (app/routes/documents.ts): one bad document never drops the others. */
export const batchEnvelopeSchema = z.strictObject({ documents: z.array(z.unknown()).min(1).max(LIMITS.batchDocuments) });
export const batchSchema = z.strictObject({ documents: z.array(documentSchema).min(1).max(LIMITS.batchDocuments) });
export const ingestRequestSchema = z.union([documentSchema, batchSchema]);
/** The one schema a body is checked against, so errors name its own fields rather than a failed union. */
export const ingestSchemaFor = (body: unknown) =>
  body !== null && typeof body === 'object' && 'documents' in body ? batchEnvelopeSchema : documentSchema;

export const listQuerySchema = z.strictObject({
  limit: z.coerce.number().int().min(1).max(500).default(100),
  cursor: documentIdSchema.optional().describe('next_cursor of the previous page'),
  source: z.string().max(200).optional(),
  collection: collectionSchema.optional().describe("only this collection (within the key's)"),
});

export const ingestResponseSchema = z.object({
  documents: z.array(z.union([
    z.object({
      id: z.string(), version: z.number().int(), outcome: z.enum(['queued', 'unchanged']),
      status: z.enum(['queued', 'indexed', 'failed', 'deleted']),
    }),
    z.object({
      index: z.number().int().describe('position in the batch'), id: z.string().nullable(), outcome: z.literal('rejected'),
      error: z.object({ code: z.string(), message: z.string() }),
    }),
  ])).describe('one entry per document, in the order sent'),
  queued: z.number().int(),
  rejected: z.number().int(),
});

export const documentResponseSchema = z.object({
  id: z.string(),
  collection: z.string(),
  status: z.enum(['queued', 'indexed', 'failed', 'deleted']),
  current_version: z.number().int(),
  title: z.string().nullable(),
  source: z.string().nullable(),
  url: z.string().nullable(),
  published_at: z.string().nullable(),
  metadata: z.record(z.string(), z.unknown()).nullable(),
  created_at: z.string(),
  updated_at: z.string(),
  deleted_at: z.string().nullable(),
  versions: z.array(z.object({
    version: z.number().int(), content_sha256: z.string(),
    status: z.enum(['queued', 'indexed', 'superseded', 'failed', 'deleted']),
    received_at: z.string(), indexed_at: z.string().nullable(), passages: z.number().int(), error: z.string().nullable(),
  })),
});

export { MODES, type Mode } from '../answer/modes.ts';

/** Which documents an answer may draw on; every field narrows, and collections stay within the key's. */
export const filterSchema = z.strictObject({
  collection: z.union([collectionSchema, z.array(collectionSchema).min(1).max(32)]).optional(),
  source: z.string().max(200).optional(),
  metadata: z.record(
    z.string().regex(/^[\w.-]{1,64}$/, 'metadata keys: letters, digits and . _ - (at most 64)'),
    z.union([z.string().max(1_000), z.number(), z.boolean()]),
  ).refine((m) => Object.keys(m).length <= 16, 'at most 16 metadata keys').optional().describe('equality on top-level metadata keys'),
  published_after: z.iso.datetime({ offset: true }).optional().describe('published_at at or after this time'),
  published_before: z.iso.datetime({ offset: true }).optional().describe('published_at before this time'),
});
export type FilterBody = z.infer<typeof filterSchema>;

export const answerRequestSchema = z.strictObject({
  question: z.string(required).trim().min(1, 'question must not be empty').max(LIMITS.questionChars),
  mode: z.enum(MODES).default('mac'),
  top_k: z.number().int().min(1).max(64).optional().describe('memories fused into the prefix (mac, hybrid; default MAC_TOP_K, else the bundle\'s) or passages in the prompt (rag; default RAG_TOP_K, 1); ' +
    'as many as fit the LM\'s window beside the prompt, the lowest-ranked left out first (`usage.memories` and `sources` say what was read)'),
  max_tokens: z.number().int().min(1).max(256).default(32).describe('new tokens at most; a free-text answer also ends at its first line break'),
  stream: z.boolean().default(false),
  grounded: z.boolean().optional().describe('copy the answer from the passages read and cite the span (default: whether the server\'s GROUNDED lists the mode)'),
  abstain_below_confidence: z.number().min(0).max(1).optional()
    .describe('abstain when the calibrated confidence is below this (0: never); default: the server\'s ABSTAIN_BELOW_CONFIDENCE'),
  on_conflict: z.enum(ON_CONFLICT).optional().describe('where a newer document read for the answer answers otherwise (the bundle\'s reader ' +
    'reads the best READER_PASSAGES retrieved): note (answer as before, the newer answers in `conflicts`) or newer (set the older passage aside, ' +
    'from the prompt and the memories; it costs answers where a neighbouring paragraph is newer); default: the server\'s ON_CONFLICT'),
  filter: filterSchema.optional(),
  history: z.array(z.strictObject({ question: z.string().max(LIMITS.questionChars), answer: z.string().max(LIMITS.questionChars) }))
    .max(32).optional().describe('earlier turns of the conversation, oldest first; the oldest are dropped to fit the LM. ' +
      'A question that finds nothing above ABSTAIN_BELOW alone is searched for again after the last turn (a follow-up such as "How long did it take?")'),
});
export type AnswerRequest = z.infer<typeof answerRequestSchema>;

/**
 * OpenAI's chat completion request, as far as the service uses it; other OpenAI fields (temperature,
 * top_p, n, ...) are accepted and ignored, since answers are greedy and single.
 */
export const chatRequestSchema = z.object({
  model: z.string(required).describe(`one of the answer modes: ${MODES.join(', ')}`),
  messages: z.array(z.object({
    role: z.string(required),
    content: z.union([z.string(), z.array(z.object({ type: z.string(), text: z.string().optional() }).loose())]),
  }).loose()).min(1),
  stream: z.boolean().optional(),
  max_tokens: z.number().int().min(1).max(256).optional(),
  max_completion_tokens: z.number().int().min(1).max(256).optional(),
}).loose();

export const sourceSchema = z.object({
  document_id: z.string(),
  version: z.number().int(),
  passage_id: z.number().int(),
  title: z.string().nullable(),
  source: z.string().nullable(),
  similarity: z.number(),
  weight: z.number().describe('its share of the retrieval similarity among the sources the answer read'),
  in_prompt: z.boolean(),
  cited: z.boolean().describe('a grounded answer\'s citation is from this passage'),
  supersedes: z.array(z.object({
    document_id: z.string(), version: z.number().int(), passage_id: z.number().int(),
    reason: z.enum(['restates', 'contradicts']).describe('restates: this passage says nearly the same words; contradicts: read for the question, it gives another answer'),
  })).describe('older passages of other documents set aside for this newer one'),
});

export const citationSchema = z.object({
  document_id: z.string().nullable().describe('null for passages given directly, not from the memory'),
  version: z.number().int().nullable(),
  passage_id: z.number().int().nullable(),
  start: z.number().int().describe('character offset of the cited sentence (the one holding the answer) in the passage\'s stored text'),
  end: z.number().int(),
  text: z.string().describe('the cited sentence'),
  answer_start: z.number().int().describe('character offset of the answer\'s span in the passage\'s stored text, inside [start, end)'),
  answer_end: z.number().int(),
});

export const conflictSchema = z.object({
  document_id: z.string(),
  version: z.number().int(),
  passage_id: z.number().int(),
  title: z.string().nullable(),
  published_at: z.string().nullable().describe('the newer document\'s published_at; null where it has none (it was indexed later)'),
  answer: z.string().describe('the reader\'s answer in that passage'),
  answer_start: z.number().int().describe('character offset of that answer in the passage\'s stored text'),
  answer_end: z.number().int(),
});

export const answerResponseSchema = z.object({
  answer: z.string().nullable(),
  grounded: z.boolean().describe('the answer is a span of the passages read, cited in `citations`'),
  citations: z.array(citationSchema),
  conflicts: z.array(conflictSchema).describe('newer passages of other documents, read for this answer, in which the reader finds another answer than this one (every mode but base, where the bundle has a reader)'),
  abstained: z.boolean(),
  abstain_reason: z.string().nullable(),
  confidence: z.number().describe('the probability that the answer is right (calibrated), or the token probability where `calibrated` is false'),
  calibrated: z.boolean().describe('whether `confidence` comes from the bundle\'s calibration for this mode'),
  token_probability: z.number().describe('mean probability of the answer\'s tokens under the LM'),
  span_probability: z.number().nullable().describe('grounded answers: the cited span\'s share of the probability the LM gave every candidate span as a whole answer; null for free text'),
  region_probability: z.number().nullable().describe('grounded answers: the share of the candidate spans overlapping the cited one (how sure the LM is where the answer lies); null for free text'),
  reader_agreement: z.number().nullable().describe('token F1 of the answer against the span a second reader (the bundle\'s reader.onnx, an extractive MiniLM) picks: from the passages grounded to, or for free text from the passage answered from; null without retrieval or without a reader'),
  reader_score: z.number().nullable().describe('the reader\'s score over "no answer" (log-odds; below 0 it reads the passage as not answering) for the cited span, where grounded answers chose among its proposals, or for its best span in the passage a free-text answer is from; null otherwise'),
  reader_margin: z.number().nullable().describe('grounded answers chosen from the reader\'s proposals: the reader\'s score for the cited span over its passage\'s best span that shares no character with it (log-odds; near 0 the passage offers another answer as readily); null otherwise'),
  table_row: z.number().nullable().describe('grounded answers that are a table\'s body cell: how well the row names the question (the largest share of a cell\'s content words the question holds, among the row\'s cells outside the answer\'s column; 0: no cell names it); null elsewhere'),
  relevance: z.number().nullable().describe('what the similarity gate (ABSTAIN_BELOW) compares: the best cosine similarity of the question to a passage retrieval proposed or to one of its sentences, before any reading; null without retrieval (base)'),
  mode: z.enum(MODES),
  sources: z.array(sourceSchema),
  timings_ms: z.object({
    encode: z.number(), retrieve: z.number(), aggregate: z.number(), generate: z.number(), verify: z.number().describe('the reader\'s pass over a grounded answer\'s passages (its proposals and check)'), first_token: z.number(), total: z.number(),
  }),
  usage: z.object({
    prompt_tokens: z.number().int(),
    cached_tokens: z.number().int().describe('of the prompt tokens, those the LM\'s prompt cache served (a recent prompt began the same way)'),
    completion_tokens: z.number().int(),
    memories: z.number().int(),
  }),
  bundle_id: z.string(),
});
export type AnswerResponse = z.infer<typeof answerResponseSchema>;

const percentiles = z.object({ count: z.number().int(), p50: z.number().nullable(), p90: z.number().nullable(), p99: z.number().nullable() });

export const freshnessResponseSchema = z.object({
  generated_at: z.string(),
  documents: z.object({ total: z.number().int(), indexed: z.number().int(), queued: z.number().int(), failed: z.number().int(), deleted: z.number().int() }),
  passages: z.number().int(),
  superseded_versions: z.number().int(),
  knowledge: z.object({ newest_published_at: z.string().nullable(), oldest_published_at: z.string().nullable(), last_indexed_at: z.string().nullable() }),
  queue: z.object({ depth: z.number().int(), running: z.number().int(), failed: z.number().int(), oldest_queued_at: z.string().nullable() }),
  lag_seconds: z.object({ published_to_received: percentiles, received_to_indexed: percentiles, published_to_indexed: percentiles }),
  sla_seconds: z.number(),
  sources: z.array(z.object({
    source: z.string(), documents: z.number().int(), last_received_at: z.string(), last_indexed_at: z.string().nullable(),
    staleness_seconds: z.number(), stale: z.boolean(),
  })),
  recent_failures: z.array(z.object({ document_id: z.string(), version: z.number().int(), error: z.string().nullable(), at: z.string() }))
    .describe('the latest versions that failed for good, newest first'),
  timeline: z.array(z.object({
    hour: z.string(), indexed: z.number().int(), mean_lag_seconds: z.number().nullable(),
    answers: z.number().int().nullable().describe('null where the runtime does not count answers (the edge)'),
  })).describe('the last 24 hours, hour by hour'),
  uptake: z.object({
    probes: z.number().int(),
    mean_f1_with_memory: z.number().nullable(),
    mean_f1_without_memory: z.number().nullable(),
    recent: z.array(z.object({ document_id: z.string(), question: z.string(), expected: z.string(), answer: z.string(), f1: z.number(), base_f1: z.number(), at: z.string() })),
  }),
});
export type FreshnessResponse = z.infer<typeof freshnessResponseSchema>;
