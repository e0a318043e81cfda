import { parseArgs } from 'node:util';
import { readSquad, toArticleDocuments } from '../bench/squad.ts';
import { bundleSplitter, splitForEncoder } from '../encoder/index.ts';

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
const splitter = bundleSplitter(values.bundle!);
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
