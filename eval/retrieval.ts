import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { selectCandidates } from '../answer/candidates.ts';
import { loadBundle } from '../bundle/index.ts';
import { commandLine, gitRevision, machine } from '../bench/report.ts';
import { note, progressBar } from '../bench/progress.ts';
import { documentId, readSquad } from '../bench/squad.ts';
import { OnnxEncoder } from '../encoder/index.ts';
import { retrievalBank } from './retrieval-bank.ts';

const USAGE = `npm run eval:retrieval -- --data FILE [--limit N] [--out results/NAME.json] [--bundle bundles/default]

Retrieval recall of the answer path's candidate selection (answer/candidates.ts), RETRIEVAL=vector against
vector+keyword: every paragraph of a SQuAD-format file is split into passages as the ingestion worker splits
it and stored with its retrieval embedding and its sentences' (the bundle's sentence encoder; the ranking
reads the nearer of the two) in an in-memory SQLite store and an exact vector index (no memories: retrieval
does not read them); then each answerable question (the first
--limit, default all) is asked of both, and the rank of its own paragraph's first passage is recorded.
Prints recall at 1, 2 (the reader's pool at READER_PASSAGES=2), 3 and 8 and the selection's median time; --out writes them as JSON.`;

/** The recall depths reported; the candidates selected are the deepest's. */
const DEPTHS = [1, 2, 3, 8];
const K = Math.max(...DEPTHS);

async function main() {
  const { values } = parseArgs({
    options: {
      data: { type: 'string' }, limit: { type: 'string' }, out: { type: 'string' }, bundle: { type: 'string', default: 'bundles/default' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help || !values.data) {
    console.log(USAGE);
    process.exit(values.help ? 0 : 2);
  }
  const paragraphs = readSquad(values.data);
  const questions = paragraphs.flatMap((p) => p.qas.filter((q) => q.answers.length).map((q) => ({ question: q.question, gold: documentId(p.id) })))
    .slice(0, values.limit ? Number(values.limit) : undefined);
  const bundle = await loadBundle(values.bundle!, { models: ['encoder'] });
  const encoder = new OnnxEncoder(bundle);
  const { store, index } = await retrievalBank(encoder, paragraphs, { label: 'passages', sentences: true });
  const methods = { vector: false, 'vector+keyword': true };
  const ranks: Record<string, number[]> = { vector: [], 'vector+keyword': [] };
  const ms: Record<string, number[]> = { vector: [], 'vector+keyword': [] };
  const asking = progressBar('questions', questions.length);
  for (const [i, q] of questions.entries()) {
    const { embedding } = await encoder.encodeQuestion(q.question);
    for (const [name, keywords] of Object.entries(methods)) {
      const t0 = performance.now();
      const candidates = selectCandidates(store, index, q.question, embedding, K, keywords);
      ms[name].push(performance.now() - t0);
      const rank = candidates.findIndex((c) => c.passage.documentId === q.gold);
      ranks[name].push(rank < 0 ? K : rank);
    }
    asking.update(i + 1);
  }
  asking.done();
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const recall = (rs: number[], k: number) => Number((rs.filter((r) => r < k).length / rs.length).toFixed(3));
  const table = Object.keys(methods).map((name) => ({ name, recalls: DEPTHS.map((k) => recall(ranks[name], k)), ms: Number(median(ms[name]).toFixed(2)) }));
  const rows = table.map((t) => ({
    retrieval: t.name, ...Object.fromEntries(DEPTHS.map((k, i) => [`recall_at_${k}`, t.recalls[i]])), median_selection_ms: t.ms,
  }));
  note(`${values.data}: ${paragraphs.length} paragraphs, ${store.passageIds().length} passages, ${questions.length} questions`);
  console.log(`| retrieval | ${DEPTHS.map((k) => `recall@${k}`).join(' | ')} | median selection ms |\n|---|${DEPTHS.map(() => '---|').join('')}---|`);
  for (const t of table) console.log(`| ${t.name} | ${t.recalls.join(' | ')} | ${t.ms} |`);
  if (values.out) {
    writeFileSync(values.out, JSON.stringify({
      command: commandLine(process.argv.slice(2), 'eval:retrieval', 'eval/retrieval.ts'), git: gitRevision(), machine: machine(),
      data: values.data, paragraphs: paragraphs.length, passages: store.passageIds().length, questions: questions.length, rows,
    }, null, 2) + '\n');
  }
}

await main();
