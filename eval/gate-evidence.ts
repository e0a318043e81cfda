import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { selectCandidates } from '../answer/candidates.ts';
import { loadBundle } from '../bundle/index.ts';
import { note, progressBar } from '../bench/progress.ts';
import { readSquad, type SquadParagraph } from '../bench/squad.ts';
import { OnnxEncoder } from '../encoder/index.ts';
import { retrievalBank } from './retrieval-bank.ts';
import { configSchema } from '../server/config.ts';

const USAGE = `node --import tsx eval/gate-evidence.ts [--out runs/gate] [--bundle bundles/default]

What the similarity gate would compare for each question, two ways: \`passage\`, the best cosine similarity of
the question to the passages retrieval proposes (READER_PASSAGES of them, as the answer path selects them:
answer/candidates.ts), and \`sentence\`, the better of that and of its cosine to one of their sentences
(what ABSTAIN_BELOW compares since the 47th session). Three sets, each one JSON line per question in --out:
- reserved.jsonl: the calibration's 27 reserved articles (weights/calibration.json) of SQuAD 2.0 train, in a
  bank of their own, asked their own questions (answerable and not);
- foreign.jsonl: the same bank asked the questions of the 8 held-out tuning articles (runs/tune/reader-held-out.jsonl,
  \`scripts/python.sh -m mac.reader held-out\`), which it holds nothing about;
- product.jsonl: eval/product/documents.jsonl in a bank of its own, asked its questions.
Read by \`scripts/python.sh -m mac.experiments.sentence_gate\`. Nothing is answered: retrieval and the sentence
encoder only (in-memory SQLite, exact index).`;

const SQUAD_2_TRAIN = '../shared/data/squad/squad-2.0-train.jsonl';
const FOREIGN = 'runs/tune/reader-held-out.jsonl';
const PRODUCT = 'eval/product/documents.jsonl';

type Bank = Awaited<ReturnType<typeof retrievalBank>>;

async function ask(encoder: OnnxEncoder, { store, index }: Bank, paragraphs: SquadParagraph[], k: number, out: string): Promise<void> {
  const questions = paragraphs.flatMap((p) => p.qas);
  const bar = progressBar(`${out}: questions`, questions.length);
  const rows: string[] = [];
  for (const [i, q] of questions.entries()) {
    const { embedding } = await encoder.encodeQuestion(q.question);
    const candidates = selectCandidates(store, index, q.question, embedding, k, true);
    const best = (f: (c: (typeof candidates)[number]) => number) => (candidates.length ? Number(Math.max(...candidates.map(f)).toFixed(4)) : null);
    rows.push(JSON.stringify({ id: q.id, question: q.question, answerable: q.answers.length > 0, passage: best((c) => c.similarity), sentence: best((c) => c.relevance) }));
    bar.update(i + 1);
  }
  bar.done();
  writeFileSync(out, rows.join('\n') + '\n');
}

async function main() {
  const { values } = parseArgs({ options: { out: { type: 'string', default: 'runs/gate' }, bundle: { type: 'string', default: 'bundles/default' }, help: { type: 'boolean', short: 'h' } } });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  mkdirSync(values.out!, { recursive: true });
  const k = configSchema.shape.READER_PASSAGES.parse(undefined);
  const encoder = new OnnxEncoder(await loadBundle(values.bundle!, { models: ['encoder'] }));
  const calibration = JSON.parse(readFileSync(join(values.bundle!, 'calibration.json'), 'utf8'));
  const reserved = new Set(Object.keys(calibration.fit.articles['rag+grounded']));
  const fit = readSquad(SQUAD_2_TRAIN).filter((p) => reserved.has(p.title));
  note(`${reserved.size} reserved articles, ${fit.length} paragraphs; READER_PASSAGES ${k}`);
  const fitBank = await retrievalBank(encoder, fit, { label: 'reserved: paragraphs', sentences: true });
  await ask(encoder, fitBank, fit, k, join(values.out!, 'reserved.jsonl'));
  await ask(encoder, fitBank, readSquad(FOREIGN), k, join(values.out!, 'foreign.jsonl'));
  const product = readSquad(PRODUCT);
  await ask(encoder, await retrievalBank(encoder, product, { label: 'product: paragraphs', sentences: true }), product, k, join(values.out!, 'product.jsonl'));
}

await main();
