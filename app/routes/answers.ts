import { Hono } from 'hono';
import { streamSSE } from 'hono/streaming';
import { readJson } from '../body.ts';
import { ApiError, ErrorCode } from '../errors.ts';
import { answerRequestSchema, type AnswerRequest, type AnswerResponse } from '../schemas.ts';
import { documentFilter } from '../scope.ts';
import { untilFirstText } from './early.ts';
import type { AnswerContext } from '../ports.ts';
import type { Services } from '../services.ts';

/** An answer given, in the metrics: its outcome, latency, and prompt tokens (those the LM's prompt cache served apart). */
export function countAnswer(s: Services, r: AnswerResponse): void {
  s.metrics.inc('mac_answers_total', 'Answers by mode and outcome', { mode: r.mode, outcome: r.abstained ? 'abstained' : 'answered' });
  s.metrics.observe('mac_answer_seconds', 'Answer latency', r.timings_ms.total / 1000, { mode: r.mode });
  s.metrics.inc('mac_prompt_tokens_total', 'Prompt tokens read by the LM', { mode: r.mode }, r.usage.prompt_tokens);
  s.metrics.inc('mac_prompt_tokens_cached_total', 'Prompt tokens whose pass a recent prompt served (PROMPT_CACHE_MB)', { mode: r.mode }, r.usage.cached_tokens);
  // The edge counts its replicas' answers too, and a replica of an earlier release sends neither field.
  const setAside = r.sources.some((src) => src.supersedes?.some((x) => x.reason === 'contradicts'));
  if (setAside || r.conflicts?.length) {
    s.metrics.inc('mac_answer_conflicts_total', 'Answers where a newer document read answers otherwise: noted (in conflicts) or newer (the older set aside)',
      { mode: r.mode, handled: setAside ? 'newer' : 'noted' });
  }
}

/** The QA endpoint; with `stream: true`, server-sent events: `token` pieces, then `answer` (the full response). */
export function answerRoutes(s: Services) {
  const run = async (req: AnswerRequest, context: AnswerContext) => {
    let response;
    try {
      response = await s.answers.answer(req, context);
    } catch (err) {
      const outcome = err instanceof ApiError ? { busy: 'rejected', answer_timeout: 'timeout', cancelled: 'cancelled' }[err.code as string] : undefined;
      if (outcome) s.metrics.inc('mac_answers_total', 'Answers by mode and outcome', { mode: req.mode, outcome });
      throw err;
    }
    countAnswer(s, response);
    return response;
  };
  return new Hono().post('/', async (c) => {
    const req = await readJson(c, answerRequestSchema);
    const context = { filter: documentFilter(c, req.filter), caller: c.get('caller') ?? 'open', signal: c.req.raw.signal };
    if (!req.stream) return c.json(await run(req, context));
    const answer = await untilFirstText((onText) => run(req, { ...context, onText }));
    return streamSSE(c, async (stream) => {
      try {
        await answer.pipe((text) => stream.writeSSE({ event: 'token', data: JSON.stringify({ text }) }));
        await stream.writeSSE({ event: 'answer', data: JSON.stringify(await answer.done) });
      } catch (err) {
        const e = err instanceof ApiError ? err : new ApiError(500, ErrorCode.internal, 'The answer failed.');
        await stream.writeSSE({ event: 'error', data: JSON.stringify({ error: { code: e.code, message: e.message } }) });
      }
    });
  });
}
