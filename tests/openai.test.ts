import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningService } from '../server/index.ts';
import { client, DEFAULT_BUNDLE, startTestService, waitIndexed } from './helpers.ts';

// The official `openai` client against a running server: what Open WebUI, LangChain and friends do when
// pointed at the service. The real default bundle, since the tiny random LM decodes to empty text.
describe('OpenAI-compatible API', () => {
  let svc: RunningService;
  let openai: OpenAI;
  beforeAll(async () => {
    svc = await startTestService({ API_KEYS: 'test-key', BUNDLE_DIR: DEFAULT_BUNDLE, THREADS: '0' });
    const api = client(svc.url, 'test-key');
    await api.post('/v1/documents', { id: 'eiffel', text: 'The Eiffel Tower was completed in 1889 for the World Fair in Paris.' });
    await waitIndexed(api, 'eiffel');
    openai = new OpenAI({ apiKey: 'test-key', baseURL: `${svc.url}/v1`, maxRetries: 0 });
  });
  afterAll(() => svc?.close());

  it('lists one model per answer mode', async () => {
    const models = await openai.models.list();
    expect(models.data.map((m) => m.id).sort()).toEqual(['base', 'hybrid', 'mac', 'rag']);
  });

  it('answers a chat completion from the last user message, with usage and sources', async () => {
    const r = await openai.chat.completions.create({
      model: 'mac', max_tokens: 6,
      messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'When was the Eiffel Tower completed?' }],
    });
    expect(r.object).toBe('chat.completion');
    expect(r.choices[0].message.role).toBe('assistant');
    expect(typeof r.choices[0].message.content).toBe('string');
    expect(['stop', 'length']).toContain(r.choices[0].finish_reason);
    expect(r.usage!.total_tokens).toBe(r.usage!.prompt_tokens + r.usage!.completion_tokens);
    expect((r as unknown as { sources: { document_id: string }[] }).sources[0].document_id).toBe('eiffel');
    expect((r as unknown as { citations: unknown[] }).citations).toEqual([]); // mac answers freely: nothing cited
  });

  it('passes a grounded answer\'s citations through: the sentence holding the answer, and the answer\'s offsets', async () => {
    const r = await openai.chat.completions.create({ model: 'rag', max_tokens: 8, messages: [{ role: 'user', content: 'When was the Eiffel Tower completed?' }] });
    const { citations } = r as unknown as { citations: { document_id: string; text: string; start: number; answer_start: number; answer_end: number }[] };
    const content = r.choices[0].message.content;
    if (!content) return expect(citations).toEqual([]); // abstained: nothing to cite
    expect(citations[0].document_id).toBe('eiffel');
    expect(citations[0].text.slice(citations[0].answer_start - citations[0].start, citations[0].answer_end - citations[0].start)).toBe(content);
  });

  it('streams deltas that join to the non-streamed answer, ending with [DONE]', async () => {
    // mac streams token by token; rag's grounded span comes whole after its confidence check, so a stream
    // abstains (a refusal, no content) exactly when the non-streamed answer does, whatever this CPU rates it
    for (const model of ['mac', 'rag']) {
      const request = { model, max_tokens: 8, messages: [{ role: 'user' as const, content: 'Where is the Eiffel Tower?' }] };
      // The stream asks the same prompt again: the prompt cache serves its whole pass, last logits included,
      // so it answers exactly as the first asking did (before it kept the logits, an Intel Xeon answered
      // "Paris, France" to the repeat where the fresh pass said "Paris").
      const whole = await openai.chat.completions.create(request);
      const stream = await openai.chat.completions.create({ ...request, stream: true });
      let joined = '';
      let refusal: string | null = null;
      let finish: string | null = null;
      for await (const chunk of stream) {
        joined += chunk.choices[0]?.delta?.content ?? '';
        refusal = chunk.choices[0]?.delta?.refusal ?? refusal;
        finish = chunk.choices[0]?.finish_reason ?? finish;
      }
      if (model === 'mac') expect(joined.length).toBeGreaterThan(0);
      expect(joined).toBe(whole.choices[0].message.content);
      expect(refusal).toBe(whole.choices[0].message.refusal);
      expect(finish).toBe(whole.choices[0].finish_reason);
    }
  });

  it('keeps the earlier turns of a conversation in the prompt', async () => {
    const last = { role: 'user' as const, content: 'And in which city?' };
    const alone = await openai.chat.completions.create({ model: 'base', max_tokens: 4, messages: [last] });
    const followUp = await openai.chat.completions.create({
      model: 'base', max_tokens: 4,
      messages: [{ role: 'user', content: 'When was the Eiffel Tower completed?' }, { role: 'assistant', content: '1889' }, last],
    });
    // The earlier question and its answer are read as a turn of their own (about 20 tokens more).
    expect(followUp.usage!.prompt_tokens - alone.usage!.prompt_tokens).toBeGreaterThan(10);
  });

  it('gives the client an authentication error for a wrong key, and a not-found for an unknown model', async () => {
    const wrong = new OpenAI({ apiKey: 'nope', baseURL: `${svc.url}/v1`, maxRetries: 0 });
    await expect(wrong.models.list()).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
    const unknown = openai.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] });
    await expect(unknown).rejects.toBeInstanceOf(OpenAI.NotFoundError);
    await expect(unknown).rejects.toMatchObject({ code: 'model_not_found' });
  });
});
