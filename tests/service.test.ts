import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Validator } from '@seriousme/openapi-schema-validator';
import { sign } from '../app/index.ts';
import type { RunningService } from '../server/index.ts';
import { existsSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { client, startTestService, tempDir, TINY_BUNDLE, waitIndexed } from './helpers.ts';

const dataDir = tempDir('mac-service');

const EIFFEL = 'The Eiffel Tower was completed in 1889 for the World Fair in Paris. It is 330 metres tall.';
const NILE = 'The Nile is a major north-flowing river in northeastern Africa. It flows into the Mediterranean Sea.';

describe('service end to end on the tiny bundle (real SQLite, hnswlib, onnxruntime)', () => {
  let svc: RunningService;
  let api: ReturnType<typeof client>;
  beforeAll(async () => {
    svc = await startTestService({ API_KEYS: 'test-key', WEBHOOK_SECRETS: 'hook-secret', MAX_BODY_BYTES: '65536', DATA_DIR: dataDir });
    api = client(svc.url, 'test-key');
  });
  afterAll(() => svc?.close());

  it('ingests one document and a batch, answered 202 then indexed', async () => {
    const one = await api.post('/v1/documents', { id: 'eiffel', text: EIFFEL, title: 'Eiffel Tower', source: 'wiki', published_at: '2026-11-01T00:00:00Z' });
    expect(one.status).toBe(202);
    expect(await one.json()).toEqual({ documents: [{ id: 'eiffel', version: 1, outcome: 'queued', status: 'queued' }], queued: 1, rejected: 0 });
    const batch = await api.post('/v1/documents', { documents: [{ id: 'nile', text: NILE, source: 'atlas' }, { id: 'long', text: `${'A long sentence about rivers and towers. '.repeat(120)}` }] });
    expect(batch.status).toBe(202);
    expect((await batch.json()).queued).toBe(2);
    for (const id of ['eiffel', 'nile', 'long']) await waitIndexed(api, id);
    const long = await (await api.get('/v1/documents/long')).json();
    expect(long.versions[0].passages).toBeGreaterThan(1); // split to fit the sentence encoder
  });

  it('does no new work for the same content and versions new content', async () => {
    const same = await (await api.post('/v1/documents', { id: 'eiffel', text: EIFFEL, title: 'Eiffel Tower', source: 'wiki' })).json();
    expect(same.documents[0]).toMatchObject({ version: 1, outcome: 'unchanged' });
    const changed = await (await api.post('/v1/documents', { id: 'eiffel', text: `${EIFFEL} It was repainted in 2026.`, title: 'Eiffel Tower', source: 'wiki' })).json();
    expect(changed.documents[0]).toMatchObject({ version: 2, outcome: 'queued' });
    const doc = await waitIndexed(api, 'eiffel');
    expect(doc.versions.map((v: any) => v.status)).toEqual(['superseded', 'indexed']);
  });

  it.each(['mac', 'rag', 'hybrid', 'base'] as const)('answers in %s mode with the full response shape', async (mode) => {
    const res = await api.post('/v1/answers', { question: 'When was the Eiffel Tower completed?', mode, max_tokens: 4 });
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body).toMatchObject({ mode, abstained: false, bundle_id: svc.services.bundleId });
    expect(typeof body.answer).toBe('string');
    expect(Object.keys(body.timings_ms).sort()).toEqual(['aggregate', 'encode', 'first_token', 'generate', 'retrieve', 'total', 'verify']);
    if (mode === 'base') expect(body.sources).toEqual([]);
    else {
      expect(body.sources.length).toBeGreaterThan(0);
      expect(body.sources[0].document_id).toBe('eiffel');
      expect(body.sources[0].version).toBe(2);
    }
  });

  it.each(['rag', 'mac', 'hybrid'] as const)('grounds a %s answer in a passage it read and cites its sentence', async (mode) => {
    const body = await (await api.post('/v1/answers', { question: 'When was the Eiffel Tower completed?', mode, max_tokens: 4, grounded: true })).json();
    expect(body.grounded).toBe(true);
    expect(body.citations).toHaveLength(1);
    const [citation] = body.citations;
    // the cited span's share of the candidate spans' probability, within the share of those overlapping it
    expect(body.span_probability).toBeGreaterThanOrEqual(0);
    expect(body.span_probability).toBeLessThanOrEqual(body.region_probability);
    expect(body.region_probability).toBeLessThanOrEqual(1);
    expect(body.table_row).toBeNull(); // a span of prose, not of a table
    expect(body.sources.map((s: any) => s.passage_id)).toContain(citation.passage_id);
    const { passages } = await (await api.get(`/v1/documents/${citation.document_id}/passages`)).json();
    const text = passages.find((p: any) => p.passage_id === citation.passage_id).text;
    expect(text.slice(citation.start, citation.end)).toBe(citation.text);
    expect(text.slice(citation.answer_start, citation.answer_end)).toBe(body.answer);
    expect(citation.start).toBeLessThanOrEqual(citation.answer_start);
    expect(citation.answer_end).toBeLessThanOrEqual(citation.end);
    const plain = await (await api.post('/v1/answers', { question: 'When was the Eiffel Tower completed?', mode, max_tokens: 4, grounded: false })).json();
    expect(plain).toMatchObject({ grounded: false, citations: [], span_probability: null, region_probability: null, reader_agreement: null, reader_score: null, reader_margin: null, table_row: null });
    // unsaid: GROUNDED's modes (rag, hybrid) ground, mac answers from the memory alone
    const unsaid = await (await api.post('/v1/answers', { question: 'When was the Eiffel Tower completed?', mode, max_tokens: 4 })).json();
    expect(unsaid.grounded).toBe(mode !== 'mac');
  });

  it('streams tokens by server-sent events, ending with the full answer', async () => {
    const res = await api.post('/v1/answers', { question: 'Where does the Nile flow?', stream: true, max_tokens: 3 });
    expect(res.headers.get('content-type')).toMatch(/text\/event-stream/);
    const text = await res.text();
    expect(text).toMatch(/event: answer\ndata: \{"answer"/);
  });

  it('forgets a deleted document: no later answer draws on it', async () => {
    const before = await (await api.post('/v1/answers', { question: 'Where does the Nile flow?', mode: 'rag', max_tokens: 1, top_k: 10 })).json();
    expect(before.sources.map((s: any) => s.document_id)).toContain('nile');
    const deletedAt = Date.now();
    const del = await api.del('/v1/documents/nile');
    expect(del.status).toBe(200);
    for (const mode of ['mac', 'rag', 'hybrid']) {
      const body = await (await api.post('/v1/answers', { question: 'Where does the Nile flow?', mode, max_tokens: 2, top_k: 10 })).json();
      expect(body.sources.map((s: any) => s.document_id)).not.toContain('nile');
    }
    const tombstone = await (await api.get('/v1/documents/nile')).json();
    expect(tombstone).toMatchObject({ status: 'deleted', title: null, source: null, metadata: null });
    // Erased on disk too: no file of the memory bank holds the text any more.
    // ('mediterranean' is a word of no other document; the keyword index keeps words lowercased)
    for (const f of readdirSync(dataDir)) expect(readFileSync(join(dataDir, f)).toString('latin1').toLowerCase()).not.toContain('mediterranean');
    // and the index snapshot is rewritten at once (its vectors zeroed: memory/hnsw-index.test.ts), not at the next interval
    const snapshot = join(dataDir, 'index.hnsw');
    await expect.poll(() => existsSync(snapshot) && statSync(snapshot).mtimeMs >= deletedAt, { timeout: 5000 }).toBe(true);
    expect((await api.del('/v1/documents/never-seen')).status).toBe(404);
  });

  it('lists documents page by page and by source, and reads a document\'s passages', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: any = await (await api.get(`/v1/documents?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`)).json();
      expect(page.documents.length).toBeLessThanOrEqual(2);
      seen.push(...page.documents.map((d: any) => d.id));
      cursor = page.next_cursor;
    } while (cursor);
    expect(seen).toEqual([...seen].sort());
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen).toContain('eiffel');
    expect(seen).not.toContain('nile'); // deleted above
    const wiki = await (await api.get('/v1/documents?source=wiki')).json();
    expect(wiki.documents.length).toBeGreaterThan(0);
    expect(wiki.documents.every((d: any) => d.source === 'wiki')).toBe(true);
    const passages = await (await api.get('/v1/documents/eiffel/passages')).json();
    expect(passages.passages[0].text).toMatch(/Eiffel/);
    expect((await api.get('/v1/documents/nile/passages')).status).toBe(404);
    expect((await api.get('/v1/documents?limit=0')).status).toBe(422);
  });

  it('accepts a signed webhook delivery once', async () => {
    const body = JSON.stringify({ id: 'signed', text: 'Signed documents arrive from webhook senders.' });
    const ts = String(Math.floor(Date.now() / 1000));
    const headers = { 'content-type': 'application/json', 'x-timestamp': ts, 'x-signature': await sign('hook-secret', ts, body) };
    expect((await fetch(`${svc.url}/v1/documents`, { method: 'POST', headers, body })).status).toBe(202);
    const replay = await fetch(`${svc.url}/v1/documents`, { method: 'POST', headers, body });
    expect(replay.status).toBe(401);
    expect((await replay.json()).error.code).toBe('replayed_signature');
  });

  it('keeps a conversation\'s earlier turns in the prompt, dropping the oldest to fit the LM', async () => {
    const ask = async (body: object) => (await api.post('/v1/answers', { question: 'How tall is it?', mode: 'base', max_tokens: 2, ...body })).json();
    const alone = await ask({});
    const followUp = await ask({ history: [{ question: 'When was the Eiffel Tower completed?', answer: '1889' }] });
    expect(followUp.usage.prompt_tokens).toBeGreaterThan(alone.usage.prompt_tokens + 10);
    const long = Array.from({ length: 32 }, (_, i) => ({ question: `Question ${i}: ${'words about towers '.repeat(90)}`, answer: 'an answer' }));
    const trimmed = await ask({ history: long });
    expect(trimmed.usage.prompt_tokens).toBeLessThanOrEqual(1024 - 2); // the tiny LM's context, less the answer
    expect(trimmed.usage.prompt_tokens).toBeGreaterThan(followUp.usage.prompt_tokens);
  });

  it('lets a newer document that restates a passage stand for it, and names what it set aside', async () => {
    const bulletin = (year: string) => `Harbor bulletin: the ferry to Porto Vale leaves pier 4 at ${year === '2020' ? 'nine' : 'ten'} every morning, weather permitting, and returns at six in the evening.`;
    await api.post('/v1/documents', { documents: [
      { id: 'bulletin-2020', text: bulletin('2020'), published_at: '2020-05-01T00:00:00Z' },
      { id: 'bulletin-2026', text: bulletin('2026'), published_at: '2026-05-01T00:00:00Z' },
    ] });
    await waitIndexed(api, 'bulletin-2020');
    await waitIndexed(api, 'bulletin-2026');
    const body = await (await api.post('/v1/answers', { question: 'When does the ferry to Porto Vale leave pier 4?', mode: 'rag', top_k: 4, max_tokens: 2 })).json();
    const ids = body.sources.map((s: any) => s.document_id);
    expect(ids).toContain('bulletin-2026');
    expect(ids).not.toContain('bulletin-2020');
    const newer = body.sources.find((s: any) => s.document_id === 'bulletin-2026');
    expect(newer.supersedes).toEqual([{ document_id: 'bulletin-2020', version: 1, passage_id: expect.any(Number), reason: 'restates' }]);
    expect(body.sources.filter((s: any) => s !== newer).every((s: any) => s.supersedes.length === 0)).toBe(true);
    // a question that names what only the older says keeps it
    const older = await (await api.post('/v1/answers', { question: 'Does the ferry leave pier 4 at nine?', mode: 'rag', top_k: 4, max_tokens: 2 })).json();
    expect(older.sources.map((s: any) => s.document_id)).toEqual(expect.arrayContaining(['bulletin-2020', 'bulletin-2026']));
  });

  it('refuses a stale delivery (409 stale_delivery) by X-Sequence or by signed timestamp', async () => {
    expect((await api.post('/v1/documents', { id: 'price', text: 'The fare is 3 euros.' }, { 'x-sequence': '20' })).status).toBe(202);
    const stale = await api.post('/v1/documents', { id: 'price', text: 'The fare is 2 euros.' }, { 'x-sequence': '10' });
    expect(stale.status).toBe(409);
    expect((await stale.json()).error.code).toBe('stale_delivery');
    expect((await api.post('/v1/documents', { id: 'price', text: 'x' }, { 'x-sequence': 'soon' })).status).toBe(422);
    const signed = async (text: string, ts: number) => {
      const body = JSON.stringify({ id: 'signed-price', text });
      const headers = { 'content-type': 'application/json', 'x-timestamp': String(ts), 'x-signature': await sign('hook-secret', String(ts), body) };
      return fetch(`${svc.url}/v1/documents`, { method: 'POST', headers, body });
    };
    const now = Math.floor(Date.now() / 1000);
    expect((await signed('Fare: 3 euros.', now)).status).toBe(202);
    expect((await signed('Fare: 2 euros (sent earlier, arrived late).', now - 60)).status).toBe(409);
    expect((await (await api.get('/v1/documents/signed-price')).json()).versions).toHaveLength(1);
  });

  it('rejects bad input with stable codes', async () => {
    const code = async (res: Response, status: number) => {
      expect(res.status).toBe(status);
      return (await res.json()).error.code;
    };
    expect(await code(await client(svc.url, 'wrong').get('/v1/freshness'), 401)).toBe('unauthorized');
    expect(await code(await api.post('/v1/documents', 'x', { 'content-type': 'text/plain' }), 415)).toBe('unsupported_media_type');
    expect(await code(await api.post('/v1/documents', '{"id":', {}), 400)).toBe('invalid_json');
    expect(await code(await api.post('/v1/documents', { id: 'x' }), 422)).toBe('validation_failed');
    expect(await code(await api.post('/v1/documents', { id: 'x', text: 'y', colour: 'red' }), 422)).toBe('validation_failed');
    expect(await code(await api.post('/v1/documents', { id: 'big', text: 'z'.repeat(70_000) }), 413)).toBe('payload_too_large');
    expect(await code(await api.get('/v1/documents/missing'), 404)).toBe('document_not_found');
    expect(await code(await api.post('/v1/answers', { question: 'q', top_k: 0 }), 422)).toBe('validation_failed');
    expect(await code(await api.get('/v1/nothing'), 404)).toBe('not_found');
  });

  it('takes an HTML page as its text, its table as Markdown rows; a page with no text is refused', async () => {
    const html = '<html><head><title>Fares</title><script>var x = 1;</script></head><body><h2>Fares</h2>'
      + '<table><tr><th>ticket</th><th>price</th></tr><tr><td>Single</td><td>1.80 euros</td></tr></table></body></html>';
    expect((await api.post('/v1/documents', { id: 'fares', text: html, format: 'html' })).status).toBe(202);
    await waitIndexed(api, 'fares');
    const passages = (await (await api.get('/v1/documents/fares/passages')).json()).passages.map((p: { text: string }) => p.text).join('\n');
    expect(passages).toBe('## Fares\n\n| ticket | price |\n|---|---|\n| Single | 1.80 euros |');
    const empty = await api.post('/v1/documents', { id: 'blank-page', text: '<html><body><script>x()</script></body></html>', format: 'html' });
    expect(empty.status).toBe(422);
    expect((await empty.json()).error.message).toMatch(/documents\[0\]\.text: the HTML holds no text/);
    expect((await api.post('/v1/documents', { id: 'pdf', text: 't', format: 'pdf' })).status).toBe(422);
  });

  it('says what to fix: the field, its place in a batch, and the id rule; deep metadata is a 422, not a crash', async () => {
    const error = async (body: unknown) => {
      const res = await api.post('/v1/documents', body);
      expect(res.status).toBe(422);
      return (await res.json()).error;
    };
    expect((await error({ id: 'a' })).message).toBe('text: required');
    expect((await error({ id: 'a', text: '\u200b\u00a0' })).message).toBe('text: text holds no letter or digit');
    expect((await error({ id: 'a', text: '---\n\n| | |' })).message).toBe('text: text holds no letter or digit');
    // a batch answers per item: the good ones are queued, the bad ones say why
    const mixed = await api.post('/v1/documents', { documents: [{ id: 'ok-1', text: 't' }, { id: 'Victoria (Australia)', text: 't' }, { id: 'ok-1', text: 'u' }] });
    expect(mixed.status).toBe(202);
    const body = await mixed.json();
    expect(body).toMatchObject({ queued: 1, rejected: 2 });
    expect(body.documents[0]).toMatchObject({ id: 'ok-1', outcome: 'queued' });
    expect(body.documents[1]).toMatchObject({ index: 1, id: 'Victoria (Australia)', outcome: 'rejected' });
    expect(body.documents[1].error.message).toMatch(/^documents\[1\]\.id: use letters, digits/);
    expect(body.documents[2].error.message).toMatch(/appears earlier in this batch/);
    const allBad = await error({ documents: [{ id: 'a' }] });
    expect(allBad.message).toMatch(/documents\[0\]\.text: required/);
    for (const id of ['.', '..', 'a//b', 'a/../b']) expect((await error({ id, text: 't' })).message).toMatch(/segment/);
    expect((await error({ id: 'js', text: 't', url: 'javascript:alert(1)' })).message).toBe('url: url must be an http(s) URL');
    const seq = await api.post('/v1/documents', JSON.stringify({ id: 'seq', text: 't' }), { 'content-type': 'application/json-seq' });
    expect(seq.status).toBe(415);
    // written by hand: JSON.stringify itself would overflow the stack at this depth
    const deep = `{"id":"deep","text":"t","metadata":${'{"d":'.repeat(5_000)}{}${'}'.repeat(5_000)}}`;
    expect((await error(deep)).message).toMatch(/metadata: metadata must nest at most 32 levels/);
  });

  it('is safe under concurrent ingestion and answering', async () => {
    const writes = Array.from({ length: 12 }, (_, i) => api.post('/v1/documents', { id: `c${i}`, text: `Concurrent fact number ${i} is ${i * 7}.` }));
    const reads = Array.from({ length: 6 }, () => api.post('/v1/answers', { question: 'What is concurrent fact number 3?', max_tokens: 2 }));
    const results = await Promise.all([...writes, ...reads]);
    expect(results.map((r) => r.status).sort()).toEqual([...Array(6).fill(200), ...Array(12).fill(202)]);
    for (let i = 0; i < 12; i++) await waitIndexed(api, `c${i}`);
  });

  it('reports freshness, metrics, health, readiness and the OpenAPI document', async () => {
    const f = await (await api.get('/v1/freshness')).json();
    expect(f.documents.indexed).toBeGreaterThanOrEqual(3);
    expect(f.documents.deleted).toBe(1);
    expect(f.superseded_versions).toBe(1);
    expect(f.lag_seconds.received_to_indexed.count).toBeGreaterThan(0);
    expect(f.sources.find((s: any) => s.source === 'wiki')).toMatchObject({ stale: false });
    const probe = await svc.prober.probeOnce(3);
    expect(probe).not.toBeNull();
    expect((await (await api.get('/v1/freshness')).json()).uptake.probes).toBe(1);
    const metrics = await (await fetch(`${svc.url}/metrics`)).text();
    expect(metrics).toMatch(/mac_answers_total\{mode="mac",outcome="answered"\} \d+/);
    expect(metrics).toMatch(/mac_index_passages \d+/);
    // The process's own metrics, under the names Prometheus client libraries use.
    expect(metrics).toMatch(/# TYPE process_cpu_seconds_total counter\nprocess_cpu_seconds_total [\d.]+/);
    expect(metrics).toMatch(/process_resident_memory_bytes \d+/);
    expect(metrics).toMatch(/nodejs_eventloop_lag_seconds\{quantile="0.99"\} [\d.e-]+/);
    for (const gauge of ['mac_jobs_failed', 'mac_queue_oldest_age_seconds', 'mac_sources_stale', 'mac_last_received_to_indexed_seconds', 'mac_answers_waiting']) expect(metrics).toMatch(new RegExp(`^${gauge} [\\d.]+$`, 'm'));
    expect((await fetch(`${svc.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${svc.url}/readyz`)).status).toBe(200);
    const spec = await (await fetch(`${svc.url}/openapi.json`)).json();
    expect(Object.keys(spec.paths)).toContain('/v1/answers');
    // The contract is machine-checkable: the OpenAPI 3.1 schema's own validator accepts it.
    const verdict = await new Validator().validate(spec);
    expect(verdict.errors ?? []).toEqual([]);
    expect(verdict.valid).toBe(true);
    expect((await fetch(`${svc.url}/`)).headers.get('content-type')).toMatch(/text\/html/);
  });
});

describe('abstention', () => {
  it('abstains when the memory is empty or nothing is similar enough', async () => {
    const svc = await startTestService({ ABSTAIN_BELOW: '0.99' });
    try {
      const api = client(svc.url);
      const empty = await (await api.post('/v1/answers', { question: 'Anything?' })).json();
      expect(empty).toMatchObject({ abstained: true, answer: null, abstain_reason: 'the memory holds no documents' });
      await api.post('/v1/documents', { id: 'd', text: EIFFEL });
      await waitIndexed(api, 'd');
      const filtered = await (await api.post('/v1/answers', { question: 'Where is the Eiffel Tower?', filter: { source: 'elsewhere' } })).json();
      expect(filtered).toMatchObject({ abstained: true, answer: null, abstain_reason: expect.stringMatching(/^no document matches the filter/) });
      const far = await (await api.post('/v1/answers', { question: 'How do penguins keep warm?' })).json();
      expect(far.abstained).toBe(true);
      expect(far.abstain_reason).toMatch(/best similarity/);
    } finally {
      await svc.close();
    }
  });

  it('abstains below the calibrated confidence: the bundle\'s threshold per mode, or the request\'s', async () => {
    // The tiny bundle's files beside a calibration that rates every rag+grounded answer at sigmoid(0) = 0.5.
    const bundle = tempDir('calibrated-bundle');
    for (const f of readdirSync(TINY_BUNDLE)) symlinkSync(join(TINY_BUNDLE, f), join(bundle, f));
    const bundleId = JSON.parse(readFileSync(join(TINY_BUNDLE, 'manifest.json'), 'utf8')).bundle_id;
    const rag = { features: ['token_logit'], mean: [0], std: [1], coef: [0], intercept: 0, threshold: 0.6, n: 100, positives: 50 };
    writeFileSync(join(bundle, 'calibration.json'), JSON.stringify({ format: 'mac-calibration', version: 1, bundle_id: bundleId, target: 'F1 >= 0.5', fit: {}, modes: { 'rag+grounded': rag } }));
    const svc = await startTestService({ BUNDLE_DIR: bundle });
    try {
      const api = client(svc.url);
      await api.post('/v1/documents', { id: 'd', text: EIFFEL });
      await waitIndexed(api, 'd');
      const ask = async (extra: object) => (await api.post('/v1/answers', { question: 'When was the tower finished?', mode: 'rag', max_tokens: 4, ...extra })).json();
      const low = await ask({ grounded: true });
      expect(low).toMatchObject({ abstained: true, answer: null, calibrated: true, confidence: 0.5, citations: [] });
      expect(low.abstain_reason).toMatch(/calibrated confidence 0.500 < 0.6/);
      expect(low.sources.length).toBeGreaterThan(0);
      const asked = await ask({ grounded: true, abstain_below_confidence: 0.4 });
      expect(asked).toMatchObject({ abstained: false, calibrated: true, confidence: 0.5 });
      expect(asked.answer).toBeTruthy();
      // a stream shows a grounded answer only after its confidence check: nothing of one it abstains on
      const streamed = async (extra: object) => (await api.post('/v1/answers', { question: 'When was the tower finished?', mode: 'rag', max_tokens: 4, stream: true, grounded: true, ...extra })).text();
      const withheld = await streamed({});
      expect(withheld).not.toMatch(/event: token/);
      expect(withheld).toMatch(/event: answer\ndata: \{"answer":null,.*"abstained":true/);
      const given = await streamed({ abstain_below_confidence: 0.4 });
      expect(given).toContain(`event: token\ndata: ${JSON.stringify({ text: asked.answer })}`);
      // plain rag has no fit: its confidence is the token probability, and it never abstains on it
      const plain = await ask({ grounded: false, abstain_below_confidence: 0.99 });
      expect(plain).toMatchObject({ abstained: false, calibrated: false });
      expect(plain.confidence).toBe(plain.token_probability);
    } finally {
      await svc.close();
    }
  });

  it('refuses at start-up a calibration fitted on another bundle', async () => {
    const bundle = tempDir('miscalibrated-bundle');
    for (const f of readdirSync(TINY_BUNDLE)) symlinkSync(join(TINY_BUNDLE, f), join(bundle, f));
    writeFileSync(join(bundle, 'calibration.json'), JSON.stringify({ format: 'mac-calibration', version: 1, bundle_id: 'another', target: '', fit: {}, modes: {} }));
    await expect(startTestService({ BUNDLE_DIR: bundle })).rejects.toThrow(/fitted on the answers of bundle another.*npm run calibrate/);
  });
});
