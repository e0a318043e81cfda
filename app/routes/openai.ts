import { Hono } from 'hono';
import { streamSSE } from 'hono/streaming';
import { z } from 'zod';
import { readJson } from '../body.ts';
import { ApiError, ErrorCode } from '../errors.ts';
import { chatRequestSchema, LIMITS, MODES, type AnswerResponse, type Mode } from '../schemas.ts';
import { documentFilter } from '../scope.ts';
import { untilFirstText } from './early.ts';
import { countAnswer } from './answers.ts';
import type { Services } from '../services.ts';

/**
 * OpenAI-compatible routes, so existing clients (the official SDKs, Open WebUI, LangChain) can ask the
 * service: one model id per answer mode. The question is the last user message; the answer's sources,
 * a grounded answer's citations and any newer answers travel in extra `sources`, `citations` and `conflicts` fields (as in POST /v1/answers),
 * which the official clients pass through.
 */
export function openAiRoutes(s: Services) {
  const created = Math.floor(Date.now() / 1000);
  const app = new Hono();
  app.get('/models', (c) => c.json({
    object: 'list',
    data: MODES.map((id) => ({ id, object: 'model', created, owned_by: 'mac-knowledge-service' })),
  }));
  app.post('/chat/completions', async (c) => {
    const req = await readJson(c, chatRequestSchema);
    const mode = req.model as Mode;
    if (!MODES.includes(mode)) {
      throw new ApiError(404, ErrorCode.modelNotFound, `The model ${req.model} does not exist; use one of ${MODES.join(', ')} (GET /v1/models).`);
    }
    const last = req.messages.map((m) => m.role).lastIndexOf('user');
    if (last < 0) throw new ApiError(422, ErrorCode.validationFailed, 'messages: at least one message with role "user" is required');
    const question = req.messages[last];
    const history = conversation(req.messages.slice(0, last));
    const maxTokens = req.max_completion_tokens ?? req.max_tokens ?? 32;
    const id = `chatcmpl-${crypto.randomUUID()}`;
    const answer = (onText?: (t: string) => void) =>
      s.answers.answer({ question: textOf(question.content), mode, max_tokens: maxTokens, stream: Boolean(onText), history },
        { filter: documentFilter(c), caller: c.get('caller') ?? 'open', onText, signal: c.req.raw.signal });
    const finish = (r: AnswerResponse) => (r.usage.completion_tokens >= maxTokens ? 'length' : 'stop');
    const usage = (r: AnswerResponse) => ({
      prompt_tokens: r.usage.prompt_tokens, completion_tokens: r.usage.completion_tokens, total_tokens: r.usage.prompt_tokens + r.usage.completion_tokens,
      prompt_tokens_details: { cached_tokens: r.usage.cached_tokens },
    });
    if (!req.stream) {
      const r = await answer();
      countAnswer(s, r);
      return c.json({
        id, object: 'chat.completion', created: Math.floor(Date.now() / 1000), model: mode,
        choices: [{ index: 0, message: { role: 'assistant', content: r.answer ?? '', refusal: r.abstained ? r.abstain_reason : null }, finish_reason: finish(r), logprobs: null }],
        usage: usage(r), sources: r.sources, citations: r.citations, conflicts: r.conflicts, abstained: r.abstained,
      });
    }
    // The pieces joined must equal the non-streamed answer, which is trimmed: hold whitespace back until
    // text follows it, and drop it at the start and the end.
    let held = '';
    let started = false;
    const trimmed = (piece: string) => {
      let text = held + piece;
      if (!started) text = text.trimStart();
      const tail = text.match(/\s+$/)?.[0] ?? '';
      held = tail;
      text = text.slice(0, text.length - tail.length);
      if (text) started = true;
      return text;
    };
    const streamed = await untilFirstText((onText) => answer(onText));
    return streamSSE(c, async (stream) => {
      const chunk = (delta: object, finishReason: string | null, extra: object = {}) => stream.writeSSE({
        data: JSON.stringify({ id, object: 'chat.completion.chunk', created: Math.floor(Date.now() / 1000), model: mode, choices: [{ index: 0, delta, finish_reason: finishReason, logprobs: null }], ...extra }),
      });
      try {
        await chunk({ role: 'assistant', content: '' }, null);
        await streamed.pipe((piece) => {
          const text = trimmed(piece);
          return text ? chunk({ content: text }, null) : undefined;
        });
        const r = await streamed.done;
        countAnswer(s, r);
        if (r.abstained) await chunk({ refusal: r.abstain_reason }, null); // as the non-streamed message's refusal
        await chunk({}, finish(r), { usage: usage(r), sources: r.sources, citations: r.citations, conflicts: r.conflicts });
      } catch (err) {
        const e = err instanceof ApiError ? err : new ApiError(500, ErrorCode.internal, 'The answer failed.');
        await stream.writeSSE({ data: JSON.stringify(openAiError(e)) });
      }
      await stream.writeSSE({ data: '[DONE]' });
    });
  });
  return app;
}

/** A message's text: a string, or the text parts of a content array. */
function textOf(content: z.infer<typeof chatRequestSchema>['messages'][number]['content']): string {
  return typeof content === 'string' ? content : content.filter((p) => p.type === 'text').map((p) => p.text ?? '').join('\n');
}

/** OpenAI's error shape, for clients that read it: `{error: {message, type, param, code}}`. */
export function openAiError(e: ApiError) {
  const type = e.status === 401 ? 'authentication_error' : e.status === 404 ? 'invalid_request_error' : e.status >= 500 ? 'server_error' : 'invalid_request_error';
  return { error: { message: e.message, type, param: null, code: e.code } };
}

/**
 * Earlier turns as question/answer pairs: each user message with the assistant message that follows it
 * (system messages and unanswered questions are left out; the prompt's own turns set the answer form).
 */
function conversation(messages: z.infer<typeof chatRequestSchema>['messages']): { question: string; answer: string }[] {
  const turns: { question: string; answer: string }[] = [];
  messages.forEach((m, i) => {
    const next = messages[i + 1];
    if (m.role === 'user' && next?.role === 'assistant') turns.push({ question: textOf(m.content).slice(0, LIMITS.questionChars), answer: textOf(next.content).slice(0, LIMITS.questionChars) });
  });
  return turns.slice(-32);
}
