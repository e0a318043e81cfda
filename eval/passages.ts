import { parseArgs } from 'node:util';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { readSquad, toArticleDocuments } from '../bench/squad.ts';
import { loadTokenizer } from '../bundle/tokenizer.ts';
import { splitForEncoder } from '../encoder/index.ts';

const USAGE = `node --import tsx eval/passages.ts --data FILE.jsonl [--bundle DIR]

How the service's splitter (encoder/passages.ts) cuts a SQuAD-format file's text into passages, with the
bundle's sentence-encoder tokenizer and passage limit: each paragraph ingested as a document of its own, and
each article ingested whole (its paragraphs separated by blank lines, as \`npm run eval -- --documents article\`).
For the articles: passages that hold parts of two paragraphs or more, and paragraphs (and their questions) cut
between passages.`;

const { values } = parseArgs({ options: { data: { type: 'string' }, bundle: { type: 'string', default: 'bundles/default' }, help: { type: 'boolean', short: 'h' } } });
if (values.help || !values.data) {
  console.log(USAGE);
  process.exit(values.help ? 0 : 2);
}
const manifest = JSON.parse(readFileSync(join(values.bundle!, 'manifest.json'), 'utf8'));
const tokenizer = loadTokenizer(join(values.bundle!, manifest.tokenizers.encoder));
// What the ingestion worker splits with (OnnxEncoder's countTokens and limit), without loading the models.
const splitter = { countTokens: (s: string) => tokenizer.encode(s, false).length, maxPassageTokens: manifest.limits.max_passage_tokens as number };
const split = (text: string) => splitForEncoder(text, splitter);
const paragraphs = readSquad(values.data!);
const { documents } = toArticleDocuments(paragraphs);
const articlePassages = documents.map((d) => split(d.text));
const whole = (context: string) => articlePassages.some((ps) => ps.some((p) => p.includes(context)));
const cut = paragraphs.filter((p) => !whole(p.context));
console.log(JSON.stringify({
  data: values.data, passage_tokens: splitter.maxPassageTokens, articles: documents.length, paragraphs: paragraphs.length,
  questions: paragraphs.reduce((n, p) => n + p.qas.length, 0),
  passages_paragraphs_as_documents: paragraphs.reduce((n, p) => n + split(p.context).length, 0),
  passages_articles_as_documents: articlePassages.flat().length,
  article_passages_mixing_paragraphs: articlePassages.flat().filter((p) => /\n[ \t]*\n/.test(p)).length,
  paragraphs_cut: cut.length, questions_on_cut_paragraphs: cut.reduce((n, p) => n + p.qas.length, 0),
}, null, 2));
