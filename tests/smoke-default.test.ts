import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configSchema, type RunningService } from '../server/index.ts';
import { client, DEFAULT_BUNDLE, squadDir, startTestService, waitIndexed } from './helpers.ts';

// Paragraphs are read from the shared SQuAD validation split at test time, never copied into the repo.
const SQUAD = join(squadDir(), 'squad-1.1-validation.jsonl');
/** The service's similarity gate, as it ships. */
const GATE = configSchema.shape.ABSTAIN_BELOW.parse(undefined);

describe('smoke on the real default bundle', () => {
  let svc: RunningService;
  let api: ReturnType<typeof client>;
  const rows = readFileSync(SQUAD, 'utf8').split('\n').filter(Boolean).slice(0, 6).map((l) => JSON.parse(l));
  // Two passages about one bridge: retrieval ranks the one that names it (and holds no answer) first.
  const bridge = [
    { id: 'bridge-landmark', text: 'The Lindqvist Bridge over the Maren river is the best-known landmark of Ostvik. Tourists photograph the Lindqvist Bridge at sunset, and the Lindqvist Bridge was repainted green in 2019.' },
    { id: 'bridge-history', text: 'The crossing of the Maren at Ostvik was designed by the engineer Tomas Okafor and opened to traffic in 1911, after four years of work.' },
  ];

  beforeAll(async () => {
    if (!existsSync(join(DEFAULT_BUNDLE, 'manifest.json'))) throw new Error(`No default bundle at ${DEFAULT_BUNDLE}: run \`npm run setup\``);
    svc = await startTestService({ BUNDLE_DIR: DEFAULT_BUNDLE, THREADS: '0', ABSTAIN_BELOW: String(GATE) });
    api = client(svc.url);
    const res = await api.post('/v1/documents', { documents: [...rows.map((r) => ({ id: r.id, title: r.title, text: r.context, source: 'squad' })), ...bridge] });
    expect(res.status).toBe(202);
    for (const d of [...rows, ...bridge]) await waitIndexed(api, d.id, 120_000);
  }, 300_000);
  afterAll(() => svc?.close());

  it.each(['mac', 'rag', 'hybrid', 'base'] as const)('answers SQuAD questions in %s mode, citing the right paragraph', async (mode) => {
    for (const row of rows.slice(0, 3)) {
      const question = row.qas[0].question;
      // top_k 3: the gold paragraph is among the first three candidates for these questions
      // abstain_below_confidence 0: this checks every path answers; abstention has tests of its own
      const res = await api.post('/v1/answers', { question, mode, max_tokens: 16, abstain_below_confidence: 0, ...(mode === 'base' ? {} : { top_k: 3 }) });
      expect(res.status).toBe(200);
      const body = await res.json();
      expect(body.abstained).toBe(false);
      expect(body.answer.length).toBeGreaterThan(0);
      expect(body.bundle_id).toMatch(/^mac-smollm2/);
      expect(body.usage.prompt_tokens).toBeGreaterThan(0);
      if (mode === 'base') expect(body.sources).toEqual([]);
      else expect(body.sources.map((s: any) => s.document_id)).toContain(row.id);
      // the reader checks every answer that read a passage (a free-text mac answer too, for its confidence); base reads none
      expect(body.reader_agreement === null).toBe(mode === 'base');
    }
  }, 120_000);

  it.each(['rag', 'mac'] as const)('grounds %s answers: the answer is a span of the cited sentence of a passage it read', async (mode) => {
    for (const row of rows.slice(0, 3)) {
      const body = await (await api.post('/v1/answers', { question: row.qas[0].question, mode, max_tokens: 16, top_k: 3, grounded: true, abstain_below_confidence: 0 })).json();
      expect(body.grounded).toBe(true);
      const [citation] = body.citations;
      // the bundle's reader proposed it (its score over no answer) and checked it against its own best span
      expect(typeof body.reader_score).toBe('number');
      expect(typeof body.reader_margin).toBe('number');
      expect(body.reader_agreement).toBeGreaterThanOrEqual(0);
      expect(body.reader_agreement).toBeLessThanOrEqual(1);
      expect(body.sources.filter((s: any) => s.cited).map((s: any) => s.passage_id)).toEqual([citation.passage_id]);
      const { passages } = await (await api.get(`/v1/documents/${encodeURIComponent(citation.document_id)}/passages`)).json();
      const text = passages.find((p: any) => p.passage_id === citation.passage_id).text;
      expect(text.slice(citation.start, citation.end)).toBe(citation.text);
      expect(text.slice(citation.answer_start, citation.answer_end)).toBe(body.answer);
      expect(citation.text).toContain(body.answer);
      // a sentence: it starts the passage or follows an end mark, and ends at one or at the passage's end
      expect(citation.start === 0 || /(?:[.!?]["'”’)\]]*\s+|\n\s*)$/u.test(text.slice(0, citation.start))).toBe(true);
    }
  }, 120_000);

  it('lets the reader choose the passage a grounded answer reads, and grounded mac\'s memory (READER_PASSAGES=2): retrieval\'s second, when only it holds an answer', async () => {
    const question = 'Who designed the Lindqvist Bridge?';
    const ask = async (body: object) => (await api.post('/v1/answers', { question, max_tokens: 16, abstain_below_confidence: 0, ...body })).json();
    const plain = await ask({ mode: 'rag', top_k: 1, grounded: false });
    expect(plain.sources.map((s: any) => s.document_id)).toEqual(['bridge-landmark']);
    const rag = await ask({ mode: 'rag', top_k: 1, grounded: true });
    expect(rag.answer).toBe('Tomas Okafor');
    expect(rag.citations.map((c: any) => c.document_id)).toEqual(['bridge-history']);
    expect(rag.sources.map((s: any) => [s.document_id, s.in_prompt])).toEqual([['bridge-history', true]]);
    // hybrid: the memory is retrieval's first, the prompt's passage the reader's choice
    const hybrid = await ask({ mode: 'hybrid', grounded: true });
    expect(hybrid.answer).toBe('Tomas Okafor');
    expect(hybrid.sources.map((s: any) => [s.document_id, s.in_prompt])).toEqual([['bridge-landmark', false], ['bridge-history', true]]);
    // grounded mac: the memory fused is the reader's choice; free text reads retrieval's first
    const mac = await ask({ mode: 'mac', grounded: false });
    expect(mac.sources.map((s: any) => s.document_id)).toEqual(['bridge-landmark']);
    const macGrounded = await ask({ mode: 'mac', grounded: true });
    expect(macGrounded.answer).toBe('Tomas Okafor');
    expect(macGrounded.citations.map((c: any) => c.document_id)).toEqual(['bridge-history']);
  }, 60_000);

  it('does not copy an answer-form example\'s answer unless a text it reads holds it', async () => {
    // base reads nothing: asked an example's own question, its LM would answer with the example's answer
    const question = 'What airport is home to the Emirates post mail hub?';
    const base = await (await api.post('/v1/answers', { question, mode: 'base', max_tokens: 16, abstain_below_confidence: 0 })).json();
    expect(base.answer).not.toMatch(/^\s*Dubai\b/);
    // a question that names the word allows it
    const named = await (await api.post('/v1/answers', { question: 'Which airport in Dubai is home to the Emirates post mail hub?', mode: 'base', max_tokens: 16, abstain_below_confidence: 0 })).json();
    expect(named.answer).toMatch(/^\s*Dubai\b/);
  }, 60_000);

  it('finds a follow-up question\'s subject in the turn before it, and a new topic on its own', async () => {
    const history = [{ question: 'Who designed the crossing of the Maren at Ostvik?', answer: 'Tomas Okafor' }];
    const ask = async (question: string, turns: typeof history) =>
      (await api.post('/v1/answers', { question, mode: 'rag', max_tokens: 16, abstain_below_confidence: 0, history: turns })).json();
    const alone = await ask('How long did it take?', []);
    expect(alone.abstain_reason).toMatch(/no memory is relevant enough/);
    // the gate's evidence is in the answer: below ABSTAIN_BELOW where it refused
    expect(alone.relevance).toBeLessThan(GATE);
    expect(Number(alone.abstain_reason.match(/similarity (-?[\d.]+)/)[1])).toBeCloseTo(alone.relevance, 3);
    const followUp = await ask('How long did it take?', history);
    expect(followUp.sources.map((s: any) => s.document_id)).toEqual(['bridge-history']);
    expect(followUp.answer).toBe('four years');
    expect(followUp.relevance).toBeGreaterThanOrEqual(GATE);
    const row = rows[0];
    const newTopic = await ask(row.qas[0].question, history);
    expect(newTopic.sources.map((s: any) => s.document_id)).toContain(row.id);
  }, 60_000);

  it('tells of a newer document that answers otherwise, and prefers it when asked, in rag and mac', async () => {
    await api.post('/v1/documents', { documents: [
      { id: 'museum-2024', published_at: '2024-06-01T00:00:00Z', text: 'The Ostvik Maritime Museum is housed in a former customs building on the quay. Its director is Ingrid Holm, and it receives about 60,000 visitors a year.' },
      { id: 'museum-news-2026', published_at: '2026-11-20T10:00:00Z', text: 'The Ostvik Maritime Museum named Pavel Novak as its new director on Friday. Ingrid Holm leaves to run a museum in Bergen.' },
    ] });
    for (const id of ['museum-2024', 'museum-news-2026']) await waitIndexed(api, id, 120_000);
    const ask = async (question: string, extra: object = {}) =>
      (await api.post('/v1/answers', { question, mode: 'rag', max_tokens: 16, abstain_below_confidence: 0, ...extra })).json();
    const conflictCounts = async () => {
      const metrics = await (await api.get('/metrics')).text();
      const count = (handled: string) => Number(metrics.match(new RegExp(`mac_answer_conflicts_total\\{mode="rag",handled="${handled}"\\} (\\d+)`))?.[1] ?? 0);
      return { noted: count('noted'), newer: count('newer') };
    };
    const before = await conflictCounts();
    // by default the answer is what the reader reads best, and the newer answer is told
    const noted = await ask('Who is the director of the Ostvik Maritime Museum?');
    expect(noted.answer).toBe('Ingrid Holm');
    expect(noted.conflicts).toEqual([expect.objectContaining({ document_id: 'museum-news-2026', published_at: '2026-11-20T10:00:00.000Z', answer: 'Pavel Novak' })]);
    // also where both passages are in the prompt (top_k 2: the reader reads them, not chooses)
    const both = await ask('Who is the director of the Ostvik Maritime Museum?', { top_k: 2 });
    expect(both.conflicts.map((c: any) => c.answer)).toEqual(['Pavel Novak']);
    // asked to prefer the newer, the older passage is set aside, and the newer's source says so
    const newer = await ask('Who is the director of the Ostvik Maritime Museum?', { on_conflict: 'newer' });
    expect(newer.answer).toBe('Pavel Novak');
    expect(newer.conflicts).toEqual([]);
    const cited = newer.sources.find((s: any) => s.cited);
    expect(cited.supersedes).toEqual([expect.objectContaining({ document_id: 'museum-2024', reason: 'contradicts' })]);
    // mac, which reads memories, not text: the reader reads the two passages retrieved all the same
    const macNoted = await ask('Who is the director of the Ostvik Maritime Museum?', { mode: 'mac' });
    expect(macNoted.conflicts.map((c: any) => c.answer)).toEqual(['Pavel Novak']);
    const macNewer = await ask('Who is the director of the Ostvik Maritime Museum?', { mode: 'mac', on_conflict: 'newer' });
    expect(macNewer.sources.map((s: any) => s.document_id)).toEqual(['museum-news-2026']);
    expect(macNewer.sources[0].supersedes).toEqual([expect.objectContaining({ document_id: 'museum-2024', reason: 'contradicts' })]);
    // a fact only the older states is no conflict
    const kept = await ask('How many visitors does the Ostvik Maritime Museum receive?', { on_conflict: 'newer' });
    expect(kept.answer).toMatch(/60,000/);
    expect(kept.conflicts).toEqual([]);
    // counted by how each was handled (earlier answers in this file may have counted some already)
    const after = await conflictCounts();
    expect([after.noted - before.noted, after.newer - before.newer]).toEqual([2, 1]);
  }, 120_000);

  it('lets through a question about one sentence of a passage that covers many things', async () => {
    const notes = 'Attendees: Ines, Rafael, Joana, Pedro. Rafael finished the database migration to Postgres 17 on Monday. ' +
      'Joana is still blocked on the VPN certificates and will ask security for help. The load balancer upgrade moves to 9 December ' +
      'because the vendor patch is late. Action items: Pedro writes the rollback plan by Friday; Ines books the change window with operations.';
    expect((await api.post('/v1/documents', { id: 'standup-notes', title: 'Platform team stand-up', text: notes })).status).toBe(202);
    await waitIndexed(api, 'standup-notes', 120_000);
    const r = await (await api.post('/v1/answers', { question: 'Who books the change window?', mode: 'rag', abstain_below_confidence: 0 })).json();
    // the notes as a whole are far from the question; its sentence is near
    expect(r.sources[0].similarity).toBeLessThan(GATE);
    expect(r.relevance).toBeGreaterThanOrEqual(GATE);
    expect(r.answer).toBe('Ines');
    // a question the memory knows nothing of is still refused before any reading
    const off = await (await api.post('/v1/answers', { question: 'What is the boiling point of water?', mode: 'rag' })).json();
    expect(off.abstain_reason).toMatch(/no memory is relevant enough/);
  }, 180_000);
});
