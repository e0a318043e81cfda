import { parseArgs } from 'node:util';

const USAGE = `Asks the service a question and prints the answer and its sources.

  npm run ask -- "QUESTION" [--mode mac|rag|hybrid|base] [--grounded] [--newer] [--url URL] [--key KEY] [--collection C] [--max-tokens N]

--grounded copies the answer from a passage read and prints the cited span. An answer also prints each
newer document read that answers otherwise; --newer answers from it instead (on_conflict: newer).

--url and --key default to $MAC_URL (else http://localhost:8080) and $MAC_API_KEY.`;

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    mode: { type: 'string', default: 'mac' },
    url: { type: 'string', default: process.env.MAC_URL ?? 'http://localhost:8080' },
    key: { type: 'string', default: process.env.MAC_API_KEY },
    collection: { type: 'string' },
    'max-tokens': { type: 'string', default: '32' },
    grounded: { type: 'boolean' },
    newer: { type: 'boolean' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (values.help || !positionals.length) {
  console.log(USAGE);
  process.exit(values.help ? 0 : 2);
}
const body = {
  question: positionals.join(' '), mode: values.mode, max_tokens: Number(values['max-tokens']),
  ...(values.grounded !== undefined ? { grounded: values.grounded } : {}),
  ...(values.newer ? { on_conflict: 'newer' } : {}),
  ...(values.collection ? { filter: { collection: values.collection } } : {}),
};
const r = await fetch(`${values.url!.replace(/\/$/, '')}/v1/answers`, {
  method: 'POST', body: JSON.stringify(body),
  headers: { 'content-type': 'application/json', ...(values.key ? { authorization: `Bearer ${values.key}` } : {}) },
});
const a = (await r.json()) as any;
if (!r.ok) {
  console.error(`HTTP ${r.status} ${a.error?.code}: ${a.error?.message}`);
  process.exit(1);
}
console.log(a.abstained ? `(no answer: ${a.abstain_reason})` : a.answer);
for (const c of a.citations) {
  // the cited sentence, the answer in it marked with brackets
  const [from, to] = [c.answer_start - c.start, c.answer_end - c.start];
  const marked = `${c.text.slice(0, from)}[${c.text.slice(from, to)}]${c.text.slice(to)}`.replace(/\s+/g, ' ');
  console.log(`  cited: ${c.document_id} passage ${c.passage_id} [${c.start}, ${c.end}) "${marked}"`);
}
for (const c of a.conflicts ?? []) console.log(`  a newer document answers otherwise: ${c.document_id}${c.published_at ? ` (${c.published_at.slice(0, 10)})` : ''} "${c.answer}"`);
for (const s of a.sources) {
  console.log(`  ${s.in_prompt ? 'passage' : 'memory '} ${s.document_id} v${s.version} (similarity ${s.similarity}, weight ${s.weight})${s.title ? ` ${s.title}` : ''}${s.cited ? ' [cited]' : ''}`);
  for (const o of s.supersedes ?? []) console.log(`    set aside for it: ${o.document_id} v${o.version} (${o.reason === 'restates' ? 'it restates' : 'older, answers otherwise'})`);
}
console.log(`  ${a.mode}, confidence ${a.confidence}, ${a.timings_ms.total} ms`);
