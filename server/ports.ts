import { SchedulerError, type AnswerResult, type Answerer, type AnswerScheduler } from '../answer/index.ts';
import { ApiError, ErrorCode, type AnswerRequest, type AnswerResponse, type AnswersPort, type DocumentsPort, type FreshnessPort } from '../app/index.ts';
import type { MemoryStore, VectorIndex } from '../memory/index.ts';

/**
 * Documents in the local SQLite memory bank; `notifyIngest` wakes the in-process worker, `forgotten` is
 * told when passages left the index (so the snapshot on disk is rewritten without their vectors).
 */
export function localDocuments(store: MemoryStore, index: VectorIndex, events: { notifyIngest(): void; forgotten(): void }): DocumentsPort {
  const { notifyIngest } = events;
  return {
    async upsert(docs, receivedAt, scope) {
      const results = store.upsertDocuments(docs, receivedAt, scope);
      if (results.some((r) => r.outcome === 'queued')) notifyIngest();
      return results;
    },
    async get(id) {
      return store.getDocument(id);
    },
    async list(options) {
      return store.listDocuments(options);
    },
    async passages(id) {
      return store.documentPassages(id);
    },
    async delete(id, at) {
      const change = store.deleteDocument(id, at);
      if (!change) return null;
      for (const passage of change.removed) index.remove(passage);
      if (change.removed.length) events.forgotten();
      return { passagesRemoved: change.removed.length };
    },
    collections: async (collections) => store.collections(collections),
    createCollection: async (name, at) => store.createCollection(name, at),
    dropCollection: async (name) => store.dropCollection(name),
  };
}

export function localFreshness(store: MemoryStore): FreshnessPort {
  return {
    stats: async (collections) => store.freshness(collections),
    recentProbes: async (limit, collections) => store.recentProbes(limit, collections),
    answerHours: async (since) => store.answerHours(since),
  };
}

const round = (x: number) => Math.round(x * 10) / 10;

export function toResponse(r: AnswerResult, bundleId: string): AnswerResponse {
  return {
    answer: r.answer,
    grounded: r.citations.length > 0,
    citations: r.citations.map(({ candidate, start, end, text, answerStart, answerEnd }) => ({
      document_id: candidate?.passage.documentId ?? null, version: candidate?.passage.version ?? null, passage_id: candidate?.passage.id ?? null,
      start, end, text, answer_start: answerStart, answer_end: answerEnd,
    })),
    conflicts: r.conflicts.map(({ candidate: { passage }, span }) => ({
      document_id: passage.documentId, version: passage.version, passage_id: passage.id, title: passage.title,
      published_at: passage.publishedAt === null ? null : new Date(passage.publishedAt).toISOString(),
      answer: span.text, answer_start: span.start, answer_end: span.end,
    })),
    abstained: r.answer === null,
    abstain_reason: r.abstainReason,
    confidence: Number(r.confidence.toFixed(4)),
    calibrated: r.calibrated,
    token_probability: Number(r.tokenProb.toFixed(4)),
    span_probability: r.spanShare && Number(r.spanShare.span.toFixed(4)),
    region_probability: r.spanShare && Number(r.spanShare.overlapping.toFixed(4)),
    reader_agreement: r.readerAgree === null ? null : Number(r.readerAgree.toFixed(4)),
    reader_score: r.readerScore === null ? null : Number(r.readerScore.toFixed(4)),
    reader_margin: r.readerMargin === null ? null : Number(r.readerMargin.toFixed(4)),
    table_row: r.tableRow === null ? null : Number(r.tableRow.toFixed(4)),
    relevance: r.relevance === null ? null : Number(r.relevance.toFixed(4)),
    mode: r.mode,
    sources: r.sources.map(({ candidate: { passage, similarity, supersedes }, weight, inPrompt }) => ({
      document_id: passage.documentId, version: passage.version, passage_id: passage.id, title: passage.title, source: passage.source,
      similarity: Number(similarity.toFixed(4)), weight: Number(weight.toFixed(4)), in_prompt: inPrompt,
      cited: r.citations.some((c) => c.candidate?.passage.id === passage.id),
      supersedes: supersedes.map(({ passage: p, reason }) => ({ document_id: p.documentId, version: p.version, passage_id: p.id, reason })),
    })),
    timings_ms: {
      encode: round(r.timings.encode), retrieve: round(r.timings.retrieve), aggregate: round(r.timings.aggregate),
      generate: round(r.timings.generate), verify: round(r.timings.verify), first_token: round(r.timings.firstToken), total: round(r.timings.total),
    },
    usage: { prompt_tokens: r.promptTokens, cached_tokens: r.cachedTokens, completion_tokens: r.completionTokens, memories: r.memories },
    bundle_id: bundleId,
  };
}

/** Answers in-process: memory -> aggregator -> frozen LM; each answer is counted in the store's hourly rollup. */
export function localAnswers(answerer: Answerer, scheduler: AnswerScheduler, bundleId: string, store: MemoryStore, groundedModes: ReadonlySet<string> = new Set()): AnswersPort {
  return {
    async answer(req: AnswerRequest, { filter, caller, onText, signal: gone }) {
      try {
        const result = await scheduler.run((signal) =>
          answerer.answer({ question: req.question, mode: req.mode, topK: req.top_k, maxTokens: req.max_tokens, history: req.history, filter, onText, signal,
            abstainBelowConfidence: req.abstain_below_confidence, onConflict: req.on_conflict, grounded: req.grounded ?? groundedModes.has(req.mode) }), gone, caller);
        store.recordAnswer(req.mode, Date.now());
        return toResponse(result, bundleId);
      } catch (err) {
        if (err instanceof RangeError) throw new ApiError(422, ErrorCode.promptTooLong, err.message);
        if (err instanceof SchedulerError) throw schedulerError(err);
        throw err;
      }
    },
  };
}

function schedulerError(err: SchedulerError): ApiError {
  if (err.reason === 'queue_full') return new ApiError(429, ErrorCode.busy, err.message, undefined, { 'retry-after': String(err.retryAfterSeconds) });
  if (err.reason === 'timeout') return new ApiError(504, ErrorCode.answerTimeout, err.message);
  return new ApiError(503, ErrorCode.cancelled, err.message);
}
