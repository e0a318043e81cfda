import { Hono } from 'hono';
import { streamSSE } from 'hono/streaming';
import type { AnswerResult } from '../../answer/index.ts';
import { readJson } from '../body.ts';
import { ApiError, ErrorCode } from '../errors.ts';
import { answerRequestSchema, type AnswerRequest, type AnswerResponse } from '../schemas.ts';
import type { Services } from '../services.ts';

const round = (x: number) => Math.round(x * 10) / 10;

function toResponse(r: AnswerResult, bundleId: string): AnswerResponse {
  return {
    answer: r.answer,
    abstained: r.answer === null,
    abstain_reason: r.abstainReason,
    confidence: Number(r.confidence.toFixed(4)),
    mode: r.mode,
    sources: r.sources.map(({ candidate: { passage, similarity }, weight, inPrompt }) => ({
      document_id: passage.documentId, version: passage.version, passage_id: passage.id, title: passage.title, source: passage.source,
      similarity: Number(similarity.toFixed(4)), weight: Number(weight.toFixed(4)), in_prompt: inPrompt,
    })),
    timings_ms: {
      encode: round(r.timings.encode), retrieve: round(r.timings.retrieve), aggregate: round(r.timings.aggregate),
      generate: round(r.timings.generate), first_token: round(r.timings.firstToken), total: round(r.timings.total),
    },
    usage: { prompt_tokens: r.promptTokens, completion_tokens: r.completionTokens, memories: r.memories },
    bundle_id: bundleId,
  };
}

/** The QA endpoint; with `stream: true`, server-sent events: `token` pieces, then `answer` (the full response). */
export function answerRoutes(s: Services) {
  const run = async (req: AnswerRequest, onText?: (t: string) => void) => {
    try {
      const result = await s.answerer.answer({ question: req.question, mode: req.mode, topK: req.top_k, maxTokens: req.max_tokens, onText });
      s.metrics.inc('mac_answers_total', 'Answers by mode and outcome', { mode: req.mode, outcome: result.answer === null ? 'abstained' : 'answered' });
      s.metrics.observe('mac_answer_seconds', 'Answer latency', result.timings.total / 1000, { mode: req.mode });
      return toResponse(result, s.bundleId);
    } catch (err) {
      if (err instanceof RangeError) throw new ApiError(422, ErrorCode.promptTooLong, err.message);
      throw err;
    }
  };
  return new Hono().post('/', async (c) => {
    const req = await readJson(c, answerRequestSchema);
    if (!req.stream) return c.json(await run(req));
    return streamSSE(c, async (stream) => {
      try {
        const response = await run(req, (text) => void stream.writeSSE({ event: 'token', data: JSON.stringify({ text }) }));
        await stream.writeSSE({ event: 'answer', data: JSON.stringify(response) });
      } catch (err) {
        const e = err instanceof ApiError ? err : new ApiError(500, ErrorCode.internal, 'The answer failed.');
        await stream.writeSSE({ event: 'error', data: JSON.stringify({ error: { code: e.code, message: e.message } }) });
      }
    });
  });
}
