import type { Api } from '../bench/service.ts';
import { documentId, type ArticlePlace, type SquadParagraph } from '../bench/squad.ts';
import { normalizeAnswer, tokenF1 } from '../monitor/index.ts';
import type { Mode as AnswerMode, OnConflict } from '../answer/index.ts';
import type { RunningService } from '../server/index.ts';

/**
 * The service's answer modes, plus `oracle`: the gold paragraph in the context turn (the ceiling). A
 * `+grounded` mode asks for grounded decoding (the answer copied from what was read, cited with its sentence);
 * `mac+grounded` copies from the texts behind the memories, so it is reported apart from plain `mac`.
 */
const PLAIN = ['base', 'mac', 'rag', 'hybrid', 'oracle'] as const;
export const MODES = [...PLAIN, 'mac+grounded', 'rag+grounded', 'hybrid+grounded', 'oracle+grounded'] as const;
export type Mode = (typeof MODES)[number];

export interface EvalQuestion {
  id: string;
  question: string;
  answers: string[];
  paragraph: SquadParagraph;
  /** Where the paragraph lies when its whole article was ingested as one document (`--documents article`); absent: it is a document of its own. */
  place?: ArticlePlace;
}

export interface QuestionRecord {
  id: string;
  question: string;
  golds: string[];
  prediction: string;
  /** The service declined to answer (prediction empty). */
  abstained?: boolean;
  em: number;
  f1: number;
  ms: number;
  prompt_tokens: number;
  /** Of those, the tokens the LM's prompt cache served (absent in logs written before it). */
  cached_tokens?: number;
  /** Whether the gold paragraph was among what the LM read (memories or passages); null in base. */
  gold_in_context: boolean | null;
  sources: string[];
  /** The service's confidence (calibrated where the bundle has a calibration), the answer's token probability, and the best
   * retrieval similarity among the sources (null without retrieval): the last two, with the answer's length, are the calibrator's features. */
  confidence?: number;
  token_prob?: number;
  similarity?: number | null;
  /**
   * What the service's similarity gate compares (ABSTAIN_BELOW): the best similarity among the passages
   * retrieval proposed, before any reading (null without retrieval). Logs before the 47th session lack it;
   * their gate is read from `similarity`, the best among the passages the answer read, which is lower where
   * the reader chose another passage than retrieval's first, so they abstain on more than the service does.
   */
  relevance?: number | null;
  /** Grounded modes: the cited span's share of the probability of the spans scored, and that of the spans overlapping it. */
  span_prob?: number | null;
  region_prob?: number | null;
  /** Grounded modes where the bundle has a reader: token F1 of the answer against the reader's span (answer/reader.ts). */
  reader_agree?: number | null;
  /** Grounded modes where the reader proposed the span: its score over no answer (log-odds). */
  reader_score?: number | null;
  /** Grounded modes where the reader proposed the span: its score over its text's best span outside it (log-odds). */
  reader_margin?: number | null;
  /** Grounded modes: how well the row of the table cell answered names the question (answer/table-cells.ts answerRow); null outside a table's body cell; absent in logs before the 53rd session. */
  table_row?: number | null;
  /** The newer documents' answers the service noted as conflicting with this one (absent where none, in logs before the 42nd session, and outside grounded modes before the 43rd). */
  conflicts?: string[];
  /** Grounded modes: the cited sentence; `correct`: it lies in the gold paragraph and holds a gold answer; `answer_correct`: so does the answer's own span (logs before the 39th session cited the span alone). */
  citation?: { document_id: string | null; text: string; correct: boolean; answer_correct?: boolean } | null;
}

export const exactMatch = (prediction: string, golds: string[]) => Number(golds.some((g) => normalizeAnswer(g) === normalizeAnswer(prediction)));
export const bestF1 = (prediction: string, golds: string[]) => Math.max(0, ...golds.map((g) => tokenF1(prediction, g)));

/** What an eval mode asks of the service: the oracle is rag reading the gold paragraph as a given passage. */
export function serviceMode(mode: Mode): { mode: AnswerMode; grounded: boolean; oracle: boolean } {
  const [plain, variant] = mode.split('+') as [(typeof PLAIN)[number], string | undefined];
  return { mode: plain === 'oracle' ? 'rag' : plain, grounded: variant === 'grounded', oracle: plain === 'oracle' };
}

/** An eval's --on-conflict: what its answers ask for (absent: the service's default); another value is a usage error (exit 2). */
export function onConflictOption(value: string | undefined): OnConflict | undefined {
  if (value === undefined || value === 'note' || value === 'newer') return value;
  console.error(`--on-conflict: note or newer, not ${value}`);
  process.exit(2);
}

/** One question through the service: its HTTP API for the API's modes, its answer path for the oracle. */
export async function answerQuestion(
  running: RunningService, client: Api, mode: Mode, q: EvalQuestion, maxTokens: number, options: { onConflict?: OnConflict } = {},
): Promise<QuestionRecord> {
  const { mode: plain, grounded, oracle } = serviceMode(mode);
  const gold = q.place?.documentId ?? documentId(q.paragraph.id);
  let prediction: string;
  let abstained: boolean;
  let ms: number;
  let promptTokens: number;
  let cachedTokens: number;
  let sources: string[] = [];
  let goldRead: boolean;
  let cited: { document_id: string | null; text: string } | null = null;
  let conflicts: string[] = [];
  let confidence: number;
  let tokenProb: number;
  let similarity: number | null = null;
  let relevance: number | null = null;
  let spanProb: number | null = null;
  let regionProb: number | null = null;
  let readerAgree: number | null = null;
  let readerScore: number | null = null;
  let readerMargin: number | null = null;
  let tableRow: number | null = null;
  if (oracle) {
    const t0 = performance.now();
    const r = await running.answerer.answer({ question: q.question, mode: 'rag', maxTokens, givenPassages: [q.paragraph.context], grounded, abstainBelowConfidence: 0 });
    ms = performance.now() - t0;
    prediction = r.answer ?? '';
    abstained = r.answer === null;
    promptTokens = r.promptTokens;
    cachedTokens = r.cachedTokens;
    sources = [gold];
    goldRead = true;
    confidence = r.confidence;
    tokenProb = r.tokenProb;
    spanProb = r.spanShare?.span ?? null;
    regionProb = r.spanShare?.overlapping ?? null;
    readerAgree = r.readerAgree;
    readerScore = r.readerScore;
    readerMargin = r.readerMargin;
    tableRow = r.tableRow;
    cited = r.citations[0] ? { document_id: gold, text: r.citations[0].text } : null;
  } else {
    const res = await client.post('/v1/answers', {
      question: q.question, mode: plain, max_tokens: maxTokens, grounded, abstain_below_confidence: 0, ...(options.onConflict ? { on_conflict: options.onConflict } : {}),
    });
    if (res.status !== 200) throw new Error(`POST /v1/answers (${mode}) answered ${res.status}: ${JSON.stringify(res.body).slice(0, 300)}`);
    prediction = res.body.answer ?? '';
    abstained = res.body.answer === null;
    ms = res.ms;
    promptTokens = res.body.usage.prompt_tokens;
    cachedTokens = res.body.usage.cached_tokens;
    const read: { document_id: string; passage_id: number }[] = res.body.sources;
    sources = read.map((s) => s.document_id);
    goldRead = q.place ? readsPlace(running, read.filter((s) => s.document_id === gold).map((s) => s.passage_id), q.place, q.answers) : sources.includes(gold);
    confidence = res.body.confidence;
    tokenProb = res.body.token_probability;
    spanProb = res.body.span_probability;
    regionProb = res.body.region_probability;
    readerAgree = res.body.reader_agreement;
    readerScore = res.body.reader_score;
    readerMargin = res.body.reader_margin;
    tableRow = res.body.table_row;
    similarity = res.body.sources.length ? Math.max(...res.body.sources.map((s: { similarity: number }) => s.similarity)) : null;
    relevance = res.body.relevance;
    cited = res.body.citations[0] ?? null;
    conflicts = res.body.conflicts.map((c: { answer: string }) => c.answer);
  }
  return {
    id: q.id, question: q.question, golds: q.answers, prediction, abstained,
    em: exactMatch(prediction, q.answers), f1: bestF1(prediction, q.answers), ms: Math.round(ms), prompt_tokens: promptTokens, cached_tokens: cachedTokens,
    gold_in_context: plain === 'base' ? null : goldRead, sources, confidence, token_prob: tokenProb, similarity, relevance,
    ...(grounded ? { span_prob: spanProb, region_prob: regionProb, table_row: tableRow, citation: cited && citationCorrect(cited, gold, q.place ? q.paragraph.context : null, prediction, q.answers) } : {}),
    ...(readerAgree !== null ? { reader_agree: readerAgree, reader_score: readerScore, reader_margin: readerMargin } : {}),
    ...(conflicts.length ? { conflicts } : {}),
  };
}

const holdsAnswer = (text: string, answers: string[]) => answers.some((a) => normalizeAnswer(text).includes(normalizeAnswer(a)));

/**
 * Whether a passage read lies (in part) on the question's paragraph within its article's document and that
 * part holds a gold answer (an unanswerable question: any part of the paragraph).
 */
function readsPlace(running: RunningService, passageIds: number[], place: ArticlePlace, answers: string[]): boolean {
  return running.store.documentPassages(place.documentId).filter((p) => passageIds.includes(p.id)).some((p) => {
    const at = place.text.indexOf(p.text);
    const from = Math.max(at, place.start);
    const to = Math.min(at + p.text.length, place.end);
    return at >= 0 && to > from && (answers.length === 0 || holdsAnswer(place.text.slice(from, to), answers));
  });
}

/**
 * A citation is correct when it is of the gold paragraph (within its article's document: its sentence lies in
 * the paragraph's text) and its sentence (answer_correct: its answer span) holds a gold answer.
 */
function citationCorrect<C extends { document_id: string | null; text: string }>(cited: C, gold: string, paragraphText: string | null, prediction: string, answers: string[]) {
  const inGold = cited.document_id === gold && (paragraphText === null || paragraphText.includes(cited.text));
  return { ...cited, correct: inGold && holdsAnswer(cited.text, answers), answer_correct: inGold && holdsAnswer(prediction, answers) };
}
