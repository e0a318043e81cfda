// A stand-in for the Node inference servers inside workerd tests (the real ones run in tests/edge-e2e.test.ts).
// Every outbound fetch of the Worker under test lands here; the host name tells the replicas apart.
const state = { calls: [], documents: {}, failAnswers: new Set(), failIndex: new Set() };

const json = (body, status = 200) => new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

export default {
  async fetch(request) {
    const url = new URL(request.url);
    const replica = url.hostname;
    const raw = request.method === 'GET' ? '' : await request.text(); // always drain the body
    const body = () => JSON.parse(raw);
    if (url.pathname === '/_fake/state') return json(state);
    if (url.pathname === '/_fake/reset') {
      state.calls = []; state.documents = {}; state.failAnswers = new Set(); state.failIndex = new Set();
      return json({ ok: true });
    }
    if (url.pathname === '/_fake/fail') {
      const { answers = [], index = [] } = body();
      state.failAnswers = new Set(answers); state.failIndex = new Set(index);
      return json({ ok: true });
    }
    state.calls.push({ replica, method: request.method, path: url.pathname, auth: request.headers.get('authorization') });
    if (request.headers.get('authorization') !== 'Bearer test-inference-secret-0123') return json({ error: { code: 'unauthorized', message: 'bad secret' } }, 401);
    if (url.pathname === '/internal/v1/index') {
      if (state.failIndex.has(replica)) return json({ error: { code: 'internal_error', message: 'encoder down' } }, 500);
      const doc = body();
      state.documents[replica] = { ...(state.documents[replica] ?? {}), [doc.id]: doc.text };
      return json({ id: doc.id, version: 1, status: 'indexed', passages: Math.ceil(doc.text.length / 100) });
    }
    if (url.pathname.startsWith('/internal/v1/documents/') && request.method === 'DELETE') {
      const id = decodeURIComponent(url.pathname.split('/').pop());
      const had = Boolean(state.documents[replica]?.[id]);
      if (state.documents[replica]) delete state.documents[replica][id];
      return json({ id, passages_removed: had ? 1 : 0 });
    }
    if (url.pathname === '/v1/answers') {
      if (state.failAnswers.has(replica)) return json({ error: { code: 'internal_error', message: 'model crashed' } }, 500);
      const req = body();
      state.lastAnswer = req;
      if (req.question.length > 500) return json({ error: { code: 'prompt_too_long', message: 'too long' } }, 422);
      const answer = {
        answer: `answer from ${replica}`, grounded: false, citations: [], abstained: false, abstain_reason: null, confidence: 0.9, mode: req.mode, sources: [],
        timings_ms: { encode: 1, retrieve: 1, aggregate: 1, generate: 1, first_token: 1, total: 4 },
        usage: { prompt_tokens: 10, completion_tokens: 3, memories: 0 }, bundle_id: 'fake-bundle',
      };
      if (!req.stream) return json(answer);
      const sse = `event: token\ndata: {"text":"answer "}\n\nevent: token\ndata: {"text":"from ${replica}"}\n\nevent: answer\ndata: ${JSON.stringify(answer)}\n\n`;
      return new Response(sse, { headers: { "content-type": "text/event-stream" } });
    }
    if (url.pathname === '/v1/freshness') {
      return json({ uptake: { recent: [{ document_id: 'd1', question: 'q?', expected: 'x', answer: 'x', f1: 1, base_f1: 0, at: new Date(0).toISOString() }] } });
    }
    if (url.pathname === '/readyz') return json({ status: 'ready' });
    return json({ error: { code: 'not_found', message: url.pathname } }, 404);
  },
};
