import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { int64, release, type TextTokenizer } from '../bundle/index.ts';
import { unmarkedEnds } from '../core/sentences.ts';
import { tokenF1 } from '../monitor/squad-metrics.ts';
import { spanRule, WORD, type Word } from './span-rules.ts';
import { bestNamed, cellPenalties, givenColumns, namedTables, type NamedTables } from './table-cells.ts';

/**
 * An extractive reader for grounded answers: all-MiniLM-L6-v2 (the retrieval encoder's base model, so it
 * shares its tokenizer) with a start/end head, [CLS] meaning "no answer", fine-tuned on SQuAD 1.1 training
 * questions (mac/reader.py; weights/reader-minilm.onnx, fp32 with its matrices stored in 16 bits and its
 * word-embedding table in 8, installed into the bundle as reader.onnx). It reads the texts a grounded answer
 * is chosen from and proposes its best spans, which the LM weighs (answer/answerer.ts); its score for the span
 * chosen (`reader_score`), how far that span beats the text's best answer elsewhere (`reader_margin`) and the
 * token F1 of the answer against its own best span (`reader_agree`) are calibration features.
 */
export const READER_FILE = 'reader.onnx';
/** The question and paragraph together, as the reader was trained and measured (paragraphs past it are cut). */
const MAX_TOKENS = 384;
/** The longest span the reader picks, in tokens (its training's limit). */
const MAX_SPAN_TOKENS = 30;

/** SHA-256 of the bundle's reader.onnx, or null where it has none: what a calibration reading its agreement names. */
export function readerSha256(bundleDir: string): string | null {
  const path = join(bundleDir, READER_FILE);
  return existsSync(path) ? sha256(readFileSync(path)) : null;
}

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

export interface ReaderSpan {
  /** Which of the texts read the span lies in, and where (character offsets). */
  index: number;
  start: number;
  end: number;
  text: string;
  /** Its score over the no-answer score ([CLS] start + end) of the same text. */
  gap: number;
  /** Its score over the best span of the same text that shares no character with it (log-odds; 0 where there is none). */
  margin: number;
}

/** What a grounded answer asks of a reader (in process: Reader; on a thread of its own: ThreadedReader). */
export interface SpanReader {
  /** The model file's SHA-256: a calibration that reads `reader_agree` names the reader it was fitted with. */
  readonly sha256: string;
  /**
   * Each text's n best spans, best first (one pass per text); `headerSimilarity`: the similarity of the question
   * with each table header cell of the texts (answer/table-cells.ts HeaderSimilarity), which weighs a table's columns.
   * A table's rows are weighed against the row that names the question best among all the texts of the call.
   */
  readEach(question: string, texts: string[], n: number, headerSimilarity?: ReadonlyMap<string, number>): Promise<ReaderSpan[][]>;
  close(): Promise<void>;
}

export class Reader implements SpanReader {
  private constructor(
    private readonly session: ort.InferenceSession,
    private readonly tokenizer: TextTokenizer,
    /** The model file's SHA-256: a calibration that reads `reader_agree` names the reader it was fitted with. */
    readonly sha256: string,
    private readonly cls: number,
    private readonly sep: number,
    /** The full stop's token id: what the reader reads where only a line ends a sentence (core/sentences.ts unmarkedEnds). */
    private readonly stop: number,
  ) {}

  /**
   * The bundle's reader.onnx, or null where the bundle has none (answers then carry no reader agreement);
   * `knownSha256`: the file's hash where the caller has read it already (readerSha256), so it is not read twice.
   */
  static async load(bundleDir: string, tokenizer: TextTokenizer, threads: number, knownSha256?: string): Promise<Reader | null> {
    const path = join(bundleDir, READER_FILE);
    if (!existsSync(path)) return null;
    const bytes = readFileSync(path);
    const session = await ort.InferenceSession.create(bytes, {
      executionProviders: ['cpu'], intraOpNumThreads: threads, graphOptimizationLevel: 'all',
      extra: { session: { intra_op: { allow_spinning: '0' } } },
    });
    const [cls, sep] = tokenizer.encode('', true);
    const [stop] = tokenizer.encode('.', false);
    return new Reader(session, tokenizer, knownSha256 ?? sha256(bytes), cls, sep, stop);
  }

  /** The reader's best span over the texts: the one that beats its own text's no-answer score by most. */
  async best(question: string, texts: string[]): Promise<ReaderSpan | null> {
    return (await this.propose(question, texts, 1))[0] ?? null;
  }

  /** The reader's n best spans over the texts, best first by how far each beats its own text's no-answer score. */
  async propose(question: string, texts: string[], n: number): Promise<ReaderSpan[]> {
    return bestSpans(await this.readEach(question, texts, n), n);
  }

  /** Each text's n best spans, best first (one pass per text): what chooses among passages before proposing. */
  async readEach(question: string, texts: string[], n: number, headerSimilarity: ReadonlyMap<string, number> = new Map()): Promise<ReaderSpan[][]> {
    const q = this.tokenizer.encode(question, false);
    // how well each text's tables name the question: the row to beat is the best among all the texts read
    const named = texts.map((text) => namedTables(text, question));
    const best = named.map(bestNamed);
    // the columns the question gives a cell of, over all the texts: no answer in any row
    const given = givenColumns(texts, named);
    const spans: ReaderSpan[][] = [];
    for (const [index, text] of texts.entries()) {
      const elsewhere = Math.max(0, ...best.filter((v, i): v is number => i !== index && v !== null));
      spans.push((await this.read(q, text, n, named[index], headerSimilarity, elsewhere, given)).map((s) => ({ index, ...s })));
    }
    return spans;
  }

  async close(): Promise<void> {
    await this.session.release();
  }

  /**
   * One pass over the question's token ids `q` and one text (cut to fit): its n best spans (distinct
   * character spans), their gaps and margins, a span in a table weighed by its row and column (table-cells.ts:
   * `named`, the text's tables read for the question).
   */
  private async read(
    q: number[], text: string, n: number, named: NamedTables | null, headerSimilarity: ReadonlyMap<string, number>, namedElsewhere: number, given: ReadonlySet<string>,
  ): Promise<Omit<ReaderSpan, 'index'>[]> {
    const room = MAX_TOKENS - q.length - 3;
    const words: Word[] = [];
    // a full stop the reader reads where a list item with no end mark of its own or a table row ends (its
    // training's prose ends each sentence with one; the tokenizer drops the line break): a token of its input
    // only, never part of a span (wordOf -1)
    const unmarked = new Set(unmarkedEnds(text));
    const context: number[] = [];
    const wordOf: number[] = [];
    for (const m of text.matchAll(WORD)) {
      if (context.length >= room) break;
      const ids = this.tokenizer.encode(m[0], false).slice(0, room - context.length);
      const end = m.index + m[0].length;
      words.push({ start: m.index, end });
      context.push(...ids);
      wordOf.push(...ids.map(() => words.length - 1));
      if (unmarked.has(end) && context.length < room) {
        context.push(this.stop);
        wordOf.push(-1);
      }
    }
    if (!context.length || room <= 0) return [];
    const allowed = spanRule(text, words);
    const penalty = cellPenalties(text, words, named, headerSimilarity, namedElsewhere, given);
    const ids = [this.cls, ...q, this.sep, ...context, this.sep];
    const lo = q.length + 2;
    const shape = [1, ids.length];
    const feeds = {
      input_ids: int64(ids, shape),
      attention_mask: int64(ids.map(() => 1), shape),
      token_type_ids: int64(ids.map((_, i) => (i < lo ? 0 : 1)), shape),
    };
    const out = await this.session.run(feeds);
    const start = out.start_logits.data as Float32Array;
    const end = out.end_logits.data as Float32Array;
    const none = start[0] + end[0];
    // Every span the reader may answer with (at most MAX_SPAN_TOKENS + 1 tokens; one table cell, clean of
    // Markdown's marks: answer/span-rules.ts), by character offsets, with its score less its cell's penalty.
    const spans: { start: number; end: number; score: number }[] = [];
    for (let i = 0; i < context.length; i++) {
      for (let j = i; j < Math.min(context.length, i + MAX_SPAN_TOKENS + 1); j++) {
        if (wordOf[i] >= 0 && wordOf[j] >= 0 && allowed(wordOf[i], wordOf[j]) && (!penalty || penalty[wordOf[i]] !== Infinity)) {
          spans.push({ start: words[wordOf[i]].start, end: words[wordOf[j]].end, score: start[lo + i] + end[lo + j] - (penalty?.[wordOf[i]] ?? 0) });
        }
      }
    }
    // The n best distinct character spans, best first: token pairs inside the same words name the same
    // characters, so each span keeps its best pair's score.
    const top: { start: number; end: number; score: number }[] = [];
    for (const span of spans) {
      if (top.length === n && span.score <= top[n - 1].score) continue;
      const same = top.find((t) => t.start === span.start && t.end === span.end);
      if (same && span.score <= same.score) continue;
      if (same) same.score = span.score;
      else top.push({ ...span });
      top.sort((a, b) => b.score - a.score);
      if (top.length > n) top.pop();
    }
    // Each span's rival: the best span whose characters all lie outside it.
    const rival = top.map(() => -Infinity);
    for (const { start: s, end: e, score } of spans) {
      top.forEach((t, k) => {
        if ((e <= t.start || s >= t.end) && score > rival[k]) rival[k] = score;
      });
    }
    release(out.start_logits, out.end_logits, feeds.input_ids, feeds.attention_mask, feeds.token_type_ids);
    return top.map((t, k) => ({
      text: text.slice(t.start, t.end), start: t.start, end: t.end, gap: t.score - none, margin: Number.isFinite(rival[k]) ? t.score - rival[k] : 0,
    }));
  }
}

/** The n best of each text's spans (`each[i]`: text i's), best first by gap, each indexed by its text's position in `each`. */
export function bestSpans(each: ReaderSpan[][], n: number): ReaderSpan[] {
  return each.flatMap((spans, index) => spans.map((s) => ({ ...s, index }))).sort((a, b) => b.gap - a.gap).slice(0, n);
}

/** Token F1 of an answer against a reader's span (0 where there is none). */
export function agreement(answer: string, span: ReaderSpan | null): number {
  return span?.text && answer.trim() ? tokenF1(answer, span.text) : 0;
}
