import { Hono } from 'hono';
import { streamSSE } from 'hono/streaming';
import { readJson } from '../body.ts';
import type { DocumentFilter } from '../../core/types.ts';
import { ApiError, ErrorCode } from '../errors.ts';
import { answerRequestSchema, type AnswerRequest } from '../schemas.ts';
import { documentFilter } from '../scope.ts';
import type { Services } from '../services.ts';

/** The QA endpoint; with `stream: true`, server-sent events: `token` pieces, then `answer` (the full response). */
export function answerRoutes(s: Services) {
  const run = async (req: AnswerRequest, filter: DocumentFilter, signal: AbortSignal, onText?: (t: string) => void) => {
    let response;
    try {
      response = await s.answers.answer(req, filter, onText, signal);
    } catch (err) {
      const outcome = err instanceof ApiError ? { busy: 'rejected', answer_timeout: 'timeout', cancelled: 'cancelled' }[err.code as string] : undefined;
      if (outcome) s.metrics.inc('mac_answers_total', 'Answers by mode and outcome', { mode: req.mode, outcome });
      throw err;
    }
    s.metrics.inc('mac_answers_total', 'Answers by mode and outcome', { mode: req.mode, outcome: response.abstained ? 'abstained' : 'answered' });
    s.metrics.observe('mac_answer_seconds', 'Answer latency', response.timings_ms.total / 1000, { mode: req.mode });
    return response;
  };
  return new Hono().post('/', async (c) => {
    const req = await readJson(c, answerRequestSchema);
    const filter = documentFilter(c, req.filter);
    if (!req.stream) return c.json(await run(req, filter, c.req.raw.signal));
    return streamSSE(c, async (stream) => {
      try {
        const response = await run(req, filter, c.req.raw.signal, (text) => void stream.writeSSE({ event: 'token', data: JSON.stringify({ text }) }));
        await stream.writeSSE({ event: 'answer', data: JSON.stringify(response) });
      } catch (err) {
        const e = err instanceof ApiError ? err : new ApiError(500, ErrorCode.internal, 'The answer failed.');
        await stream.writeSSE({ event: 'error', data: JSON.stringify({ error: { code: e.code, message: e.message } }) });
      }
    });
  });
}
