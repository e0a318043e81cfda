import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningService } from '../server/index.ts';
import { client, startTestService, waitIndexed } from './helpers.ts';

// The tiny bundle: an LM window of 1,024 tokens, memories of 32 positions at most.
const WINDOW = 1024;
const SLOTS = 32;

describe('answers fit the LM\'s window, whatever top_k asks (tiny bundle)', () => {
  let svc: RunningService;
  let api: ReturnType<typeof client>;
  beforeAll(async () => {
    svc = await startTestService({ ABSTAIN_BELOW: '-1', ABSTAIN_BELOW_CONFIDENCE: '0' });
    api = client(svc.url);
    // forty documents that share few words (near-copies would stand for each other: answer/candidates.ts)
    const words = 'amber basil cedar delta ember fjord garnet harbor indigo juniper kestrel lantern meadow nectar orchid pepper quartz raven saffron tundra umber velvet willow xenon yarrow zephyr'.split(' ');
    const documents = Array.from({ length: 40 }, (_, i) => ({
      id: `report-${i}`,
      text: Array.from({ length: 6 }, (_, s) => `The ${words[(i + s) % 26]} ${words[(i * 7 + s * 3) % 26]} ferry ${i}-${s} leaves pier ${i * 6 + s} at ${(i + s) % 12 + 1} o'clock with ${words[(i * 5 + s) % 26]} cargo.`).join(' '),
    }));
    expect((await api.post('/v1/documents', { documents })).status).toBe(202);
    for (const d of documents) await waitIndexed(api, d.id);
  });
  afterAll(() => svc?.close());

  it('drops the lowest-ranked memories and passages that do not fit, and says how many it read', async () => {
    // grounded: one new token asked, but the spans are read whole (32 tokens kept for them)
    for (const [mode, grounded] of [['mac', false], ['rag', false], ['hybrid', false], ['mac', true], ['rag', true], ['hybrid', true]] as const) {
      const res = await api.post('/v1/answers', { question: 'When does the ferry from pier 7 leave?', mode, top_k: 64, max_tokens: grounded ? 1 : 4, grounded });
      expect(res.status, `${mode}, grounded ${grounded}: ${await res.clone().text()}`).toBe(200);
      const body = await res.json();
      const { memories, prompt_tokens: prompt } = body.usage;
      expect(memories * SLOTS + prompt + (grounded ? 32 : 4)).toBeLessThanOrEqual(WINDOW);
      if (mode !== 'rag') expect(memories).toBeGreaterThanOrEqual(1);
      const inPrompt = body.sources.filter((s: { in_prompt: boolean }) => s.in_prompt).length;
      if (mode !== 'mac') expect(inPrompt).toBeGreaterThanOrEqual(1);
      // more than one passage or memory was read, fewer than asked
      expect(Math.max(memories, inPrompt)).toBeGreaterThan(1);
      expect(Math.max(memories, inPrompt)).toBeLessThan(40);
    }
  });
});
