import { filterRestricts } from '../core/lifecycle.ts';
import type { Encoder } from '../encoder/index.ts';
import { buildPrompt, exampleStarts, type SpanShare, type Turn } from '../lm/index.ts';
import type { Manifest } from '../bundle/index.ts';
import { wordSet, type DocumentFilter, type MemoryStore, type VectorIndex } from '../memory/index.ts';
import { contradicts, couldContradict, selectCandidates, withoutContradicted, type Candidate, type Reading } from './candidates.ts';
import { Calibrator, type AnswerSignals } from './calibrator.ts';
import { sentenceAround } from './citation.ts';
import type { AnswerLm } from './lm.ts';
import { agreement, bestSpans, type ReaderSpan, type SpanReader } from './reader.ts';
import { answerRow, HeaderSimilarity } from './table-cells.ts';
import type { Mode, OnConflict } from './modes.ts';

/**
 * Grounded answers where the bundle has a reader: its best spans are the candidates, and the answer is the
 * one with the best reader score + LM_WEIGHT x the LM's length-normalised log-probability. Chosen on held-out
 * training questions (docs/experiments.md, "The reader proposes, the LM weighs in").
 */
const PROPOSALS = 2;
const LM_WEIGHT = 0.5;
/** Passages beyond this many characters per token of the LM's window cannot fit it (no token holds more). */
const LM_TOKEN_MAX_CHARS = 32;
/** Room a grounded answer keeps in the LM's window for reading its spans (tokens; a reader's span is a few words). */
const GROUNDED_SPAN_TOKENS = 32;
/**
 * A newer passage read for the prompt contradicts an older one where its best span beats no answer by this
 * much (log-odds) and differs (answer/candidates.ts `contradicts`); the mildest bar measured, at which
 * preferring the newer changed 5.6% of answers where nothing had changed (docs/experiments.md, "A newer
 * document that answers differently").
 */
const CONTRADICTS_ABOVE = 4;

export interface AnswerOptions {
  question: string;
  mode: Mode;
  topK?: number;
  maxTokens: number;
  onText?: (text: string) => void;
  /** Earlier turns of the conversation, oldest first; the oldest are dropped until the prompt fits the LM. */
  history?: Turn[];
  /** Which documents the answer may draw on (collections, source, metadata, published time); absent: all. */
  filter?: DocumentFilter;
  /** Exactly these passages in the context turn, no retrieval (the evaluation's oracle; mode rag). */
  givenPassages?: string[];
  /** Stops generation at the next token once it fires. */
  signal?: AbortSignal;
  /** Copy the answer from the passages read (in the prompt, or behind the memories in mac) and cite the span. */
  grounded?: boolean;
  /** Abstain below this calibrated confidence (0: never); absent: the service's setting. */
  abstainBelowConfidence?: number;
  /** Where the bundle has a reader; absent: the service's setting. */
  onConflict?: OnConflict;
}

export interface AnswerSettings {
  /** Memories fused into the prefix (mac, hybrid). */
  macTopK: number;
  ragTopK: number;
  /**
   * Where the bundle has a reader, it reads this many of the best retrieved passages: in grounded rag and
   * hybrid answers the ragTopK whose best span beats no answer by most go into the prompt (not above
   * ragTopK: retrieval's best), and in grounded mac the memories are theirs in that order; in every mode
   * that retrieves, a newer one that answers otherwise is a conflict.
   */
  readerPassages: number;
  /** Below this cosine similarity of the best candidate, the memory holds nothing relevant: abstain. */
  abstainBelow: number;
  /** Fuse SQLite FTS5 keyword hits with the vector neighbours (RETRIEVAL=vector+keyword). */
  keywordRetrieval: boolean;
  /** Grounded decoding's stop bias (lm/generate.ts Grounding). */
  groundedStopBias: number;
  /** Below this calibrated confidence, abstain: `auto` is each mode's fitted threshold. */
  abstainBelowConfidence: number | 'auto';
  onConflict: OnConflict;
}

/** A newer passage read for an answer in which the reader finds another answer (OnConflict `note`). */
export interface Conflict {
  candidate: Candidate;
  span: ReaderSpan;
}

export interface SourceWeight {
  candidate: Candidate;
  weight: number;
  inPrompt: boolean;
}

/** The sentence of a passage a grounded answer was copied from, and the answer's span in it (character offsets into the passage's stored text). */
export interface Citation {
  /** The passage's candidate; null for passages given directly (the evaluation's oracle). */
  candidate: Candidate | null;
  start: number;
  end: number;
  text: string;
  answerStart: number;
  answerEnd: number;
}

function cite({ candidate, text }: { candidate: Candidate | null; text: string }, answerStart: number, answerEnd: number): Citation {
  const { start, end } = sentenceAround(text, answerStart, answerEnd);
  return { candidate, start, end, text: text.slice(start, end), answerStart, answerEnd };
}

export interface AnswerResult {
  answer: string | null;
  /** Grounded answers: the span cited (empty when no span fit and the answer was written freely). */
  citations: Citation[];
  /** Newer passages of other documents, read for the answer, that answer otherwise (where the bundle has a reader). */
  conflicts: Conflict[];
  abstainReason: string | null;
  /** The calibrated probability that the answer is right; the token probability where the mode has no calibration. */
  confidence: number;
  calibrated: boolean;
  /** Mean probability of the answer's tokens (the calibrator's main signal). */
  tokenProb: number;
  /** Grounded answers: the cited span's share of the probability of all spans scored, and that of the spans overlapping it. */
  spanShare: SpanShare | null;
  /** Where the bundle has a reader: token F1 of the answer against the reader's best span of the texts grounded to, or (free text) of the passage answered from. */
  readerAgree: number | null;
  /** Grounded answers the reader proposed: its score for the span over no answer in its text (log-odds); free text: that of its best span in the passage answered from. */
  readerScore: number | null;
  /** Grounded answers the reader proposed: its score for the span over its text's best span outside it (log-odds). */
  readerMargin: number | null;
  /** Grounded answers that are a table's body cell: how well the row names the question (answer/table-cells.ts answerRow); null elsewhere. */
  tableRow: number | null;
  /**
   * What the similarity gate (ABSTAIN_BELOW) compares: the best cosine similarity of the question to a passage
   * retrieval proposed or one of its sentences, before any reading; null without retrieval (base, given passages).
   */
  relevance: number | null;
  mode: Mode;
  sources: SourceWeight[];
  timings: { encode: number; retrieve: number; aggregate: number; generate: number; verify: number; firstToken: number; total: number };
  promptTokens: number;
  /** Of the prompt's tokens, those whose pass a recent prompt's served (the LM's prompt cache). */
  cachedTokens: number;
  completionTokens: number;
  memories: number;
}

/**
 * Passages retrieved for the prompt's `ragK`: more where a grounded answer's reader chooses the prompt's
 * passages from the best `readerPassages` (rag and hybrid; given passages are the prompt as they are).
 */
export function passagesRead(o: { mode: Mode; reader: boolean; givenPassages: boolean; ragK: number; readerPassages: number }): number {
  const chooses = o.reader && (o.mode === 'rag' || o.mode === 'hybrid') && !o.givenPassages;
  return chooses ? Math.max(o.ragK, o.readerPassages) : o.ragK;
}

/** The answer path: question -> memory (candidates) -> memories fused into a prefix -> frozen LM. */
export class Answerer {
  /** The example answers' first words, read from the bundle's prompt template once. */
  private readonly exampleStarts: string[];
  /** What weighs the reader's spans in a table's columns (answer/table-cells.ts). */
  private readonly headers: HeaderSimilarity;

  constructor(
    private readonly deps: { store: MemoryStore; index: VectorIndex; encoder: Encoder; lm: AnswerLm; manifest: Manifest; calibrator?: Calibrator | null; reader?: SpanReader | null },
    private readonly settings: AnswerSettings,
  ) {
    this.exampleStarts = exampleStarts(deps.manifest);
    this.headers = new HeaderSimilarity(deps.encoder);
  }

  async answer(opts: AnswerOptions): Promise<AnswerResult> {
    const t0 = performance.now();
    const { lm } = this.deps;
    const timings = { encode: 0, retrieve: 0, aggregate: 0, generate: 0, verify: 0, firstToken: 0, total: 0 };
    const useMemory = opts.mode === 'mac' || opts.mode === 'hybrid';
    const usePassages = opts.mode === 'rag' || opts.mode === 'hybrid';
    // top_k sizes the memories in the prefix (mac, hybrid) or the passages in the prompt (rag).
    const macK = useMemory ? opts.topK ?? this.settings.macTopK : this.settings.macTopK;
    const ragK = opts.mode === 'rag' ? opts.topK ?? this.settings.ragTopK : this.settings.ragTopK;
    const reader = this.deps.reader ?? null;
    const proposer = opts.grounded ? reader : null;
    const readK = passagesRead({ mode: opts.mode, reader: proposer !== null, givenPassages: opts.givenPassages !== undefined, ragK, readerPassages: this.settings.readerPassages });
    // Where the bundle has a reader, the best readerPassages retrieved (at least) are the pool it reads for conflicts.
    const poolK = reader && opts.mode !== 'base' && !opts.givenPassages ? Math.max(readK, this.settings.readerPassages) : 0;
    let candidates: Candidate[] = [];
    let relevance: number | null = null;
    // the question's own embedding, where retrieval made it (table headers are weighed against it)
    let questionEmbedding: Float32Array | undefined;
    if (opts.givenPassages) {
      if (opts.mode !== 'rag') throw new Error('givenPassages is for mode rag');
    } else if (opts.mode !== 'base') {
      // hybrid reads the best ragK passages as text and the best macK as memories
      const k = Math.max(opts.mode === 'hybrid' ? Math.max(readK, macK) : useMemory ? macK : readK, poolK);
      ({ candidates, questionEmbedding } = await this.select(opts, k, timings));
      const best = topRelevance(candidates);
      relevance = candidates.length ? best : null;
      if (!candidates.length || best < this.settings.abstainBelow) {
        timings.total = performance.now() - t0;
        const reason = candidates.length
          ? `no memory is relevant enough (best similarity ${best.toFixed(3)} < ${this.settings.abstainBelow})`
          : filterRestricts(opts.filter) ? 'no document matches the filter (the collections this key may read, source, metadata, published time)' : 'the memory holds no documents';
        return nothingRelevant(opts.mode, reason, relevance, timings);
      }
    }
    const t2 = performance.now();
    const preferNewer = (opts.onConflict ?? this.settings.onConflict) === 'newer';
    // The reader reads before the prompt is built: the whole pool where it chooses the prompt's passages
    // (grounded rag and hybrid) or the memories (grounded mac), or may set an older one aside (`newer`); else
    // what could contradict what the answer reads (retrieval's first: its memories, its prompt), newer
    // passages of other documents, and, for a free-text answer, the passage it answers from, to check the
    // answer (reader_agree, reader_score).
    const pool = candidates.slice(0, poolK);
    const poolPassages = pool.map((c) => c.passage);
    // Grounded, the reader chooses what the answer reads: the prompt's passages (rag, hybrid), the memories (mac).
    const chooses = proposer !== null;
    const answerReads = candidates.slice(0, Math.max(useMemory ? macK : 0, usePassages ? ragK : 0)).map((c) => c.passage);
    const contradicting = new Set(couldContradict(poolPassages, preferNewer ? poolPassages : answerReads).map((p) => p.id));
    const checked = opts.grounded ? undefined : answerReads[0]?.id;
    const toRead = chooses || (preferNewer && contradicting.size) ? pool : pool.filter((c) => contradicting.has(c.passage.id) || c.passage.id === checked);
    const reading = reader && toRead.length ? await readPassages(reader, opts.question, toRead, preferNewer, this.headers, questionEmbedding) : null;
    // Of the passages read, only those kept stay candidates (memories too), each carrying what it set aside.
    if (reading) candidates = candidates.flatMap((c) => (reading.readings.has(c.passage.id) ? reading.kept.filter((k) => k.passage.id === c.passage.id) : [c]));
    const wantedInPrompt = !usePassages ? [] : reading && chooses && readK > ragK ? byReaderScore(reading.kept, reading.readings).slice(0, ragK) : candidates.slice(0, ragK);
    const wantedMemories = !useMemory ? [] : reading && chooses && opts.mode === 'mac' ? readerFirst(candidates, reading).slice(0, macK) : candidates.slice(0, macK);
    const { prompt, promptCandidates, memoryCandidates } = this.fitContext(opts, wantedInPrompt, wantedMemories);
    // What the answer read, in retrieval order.
    const read = new Set([...memoryCandidates, ...promptCandidates].map((c) => c.passage.id));
    const used = candidates.filter((c) => read.has(c.passage.id));
    const inPrompt = new Set(promptCandidates.map((c) => c.passage.id));
    const passages = opts.givenPassages ?? promptCandidates.map((c) => c.passage.text);
    // The memories are fused into the prefix where the LM runs (timings.aggregate), then generation.
    const memories = memoryCandidates.map((c) => c.passage.memory);
    // Grounded: the answer is a span of what was read, passages in the prompt first, then the texts of the
    // memories not also in the prompt (hybrid reads its best passage both ways).
    const groundTo = opts.givenPassages
      ? opts.givenPassages.map((text) => ({ candidate: null, text }))
      : [...promptCandidates, ...memoryCandidates.filter((c) => !inPrompt.has(c.passage.id))].map((c) => ({ candidate: c, text: c.passage.text }));
    const texts = groundTo.map((g) => g.text);
    // The reader reads what the answer is grounded to first (each text once): its best spans are the
    // candidates the LM weighs, and its best span checks the answer chosen (reader_agree, a calibration feature).
    const proposals = proposer && texts.length ? await this.propose(proposer, opts.question, groundTo, reading?.readings ?? new Map(), questionEmbedding) : null;
    timings.verify = performance.now() - t2;
    const grounding = opts.grounded && texts.length
      ? { texts, stopBias: this.settings.groundedStopBias, proposals: proposals ? { spans: proposals.map((p) => ({ text: p.index, start: p.start, end: p.end, score: p.gap })), lmWeight: LM_WEIGHT } : undefined }
      : undefined;
    // A grounded answer is whole only once its span is chosen, so it streams after the confidence check:
    // a stream never shows an answer the service then abstains on.
    const t3 = performance.now();
    // Free text may not begin with an example answer's word that nothing the answer reads holds (a copy).
    const readTexts = [opts.question, ...passages, ...memoryCandidates.map((c) => c.passage.text), ...(opts.history ?? []).flatMap((t) => [t.question, t.answer])];
    const avoidStarts = startsNotRead(this.exampleStarts, readTexts);
    const gen = await lm.generate(prompt, memories, { maxNewTokens: opts.maxTokens, onText: grounding ? undefined : opts.onText, signal: opts.signal, grounding, avoidStarts });
    const citations: Citation[] = gen.span ? [cite(groundTo[gen.span.text], gen.span.start, gen.span.end)] : [];
    // The passage answered from: the one cited, else the prompt's first, else the first memory. Conflicts:
    // newer passages read that answer otherwise than it.
    const answeredFrom = opts.grounded ? citations[0]?.candidate : promptCandidates[0] ?? memoryCandidates[0];
    const conflicts = reading && answeredFrom ? newerAnswers(reading.read, answeredFrom, gen.text) : [];
    // Its sources: the passages in the prompt, the memories relevant enough to answer from (ABSTAIN_BELOW),
    // and the passage answered from; a source's weight is its share of their similarity.
    const sources = used.filter((c) => inPrompt.has(c.passage.id) || c.relevance >= this.settings.abstainBelow || c.passage.id === answeredFrom?.passage.id);
    const totalSimilarity = sources.reduce((s, c) => s + Math.max(c.similarity, 0), 0) || 1;
    timings.aggregate = gen.aggregateMs;
    timings.generate = performance.now() - t3 - gen.aggregateMs;
    timings.firstToken = t3 - t0 + gen.aggregateMs + gen.firstTokenMs;
    // The reader's check: grounded, its best proposal and the span chosen among them; free text, its best
    // span in the passage answered from.
    const proposed = proposals?.find((p) => gen.span && p.index === gen.span.text && p.start === gen.span.start && p.end === gen.span.end);
    const freeCheck = !opts.grounded && answeredFrom ? reading?.readings.get(answeredFrom.passage.id) : undefined;
    const check = proposals ?? freeCheck;
    const readerAgree = check ? agreement(gen.text, check[0] ?? null) : null;
    const [readerScore, readerMargin] = proposed ? [proposed.gap, proposed.margin] : freeCheck ? [freeCheck[0]?.gap ?? null, null] : [null, null];
    const tableRow = gen.span ? answerRow(texts[gen.span.text], opts.question, gen.span.start, gen.span.end) : null;
    timings.total = performance.now() - t0;
    const judged = this.judge(opts, {
      tokenProb: gen.meanTokenProb, similarity: used.length ? Math.max(...used.map((c) => c.similarity)) : null, answer: gen.text,
      spanProb: gen.spanShare?.span, regionProb: gen.spanShare?.overlapping, readerAgree, readerScore, readerMargin, tableRow,
    });
    if (grounding && !judged.abstainReason && gen.text) opts.onText?.(gen.text);
    return {
      answer: judged.abstainReason ? null : gen.text,
      citations: judged.abstainReason ? [] : citations,
      conflicts: judged.abstainReason ? [] : conflicts,
      ...judged,
      tokenProb: gen.meanTokenProb,
      spanShare: gen.spanShare,
      readerAgree,
      readerScore,
      readerMargin,
      tableRow,
      relevance,
      mode: opts.mode,
      sources: sources.map((c) => ({ candidate: c, weight: Math.max(c.similarity, 0) / totalSimilarity, inPrompt: inPrompt.has(c.passage.id) })),
      timings,
      promptTokens: gen.promptTokens,
      cachedTokens: gen.cachedTokens,
      completionTokens: gen.tokens.length,
      memories: memoryCandidates.length,
    };
  }

  /**
   * The question's candidates. In a conversation a question may lean on the turn before it ("How long did it
   * take?" after "Who designed the bridge?"): where nothing it finds alone is relevant enough (ABSTAIN_BELOW),
   * it is asked again after that turn's question and answer, which name its subject. A question that finds
   * its own answer, a new topic included, keeps what it found.
   */
  private async select(opts: AnswerOptions, k: number, timings: { encode: number; retrieve: number }): Promise<{ candidates: Candidate[]; questionEmbedding: Float32Array }> {
    const { store, index, encoder } = this.deps;
    const find = async (asking: string) => {
      const t0 = performance.now();
      const { embedding } = await encoder.encodeQuestion(asking);
      const t1 = performance.now();
      const found = selectCandidates(store, index, asking, embedding, k, this.settings.keywordRetrieval, opts.filter);
      timings.encode += t1 - t0;
      timings.retrieve += performance.now() - t1;
      return { found, embedding };
    };
    const alone = await find(opts.question);
    const last = opts.history?.at(-1);
    const picked = (candidates: Candidate[]) => ({ candidates, questionEmbedding: alone.embedding });
    if (!last || topRelevance(alone.found) >= this.settings.abstainBelow) return picked(alone.found);
    const inContext = (await find(`${last.question} ${last.answer} ${opts.question}`)).found;
    return picked(topRelevance(inContext) > topRelevance(alone.found) ? inContext : alone.found);
  }

  /**
   * The prompt, and the passages and memories that fit the LM's window beside it, the answer's tokens and
   * the memories' positions (`memory.slots` each at most; a grounded answer's spans are read in full): the
   * conversation's oldest turns go first, then the lowest-ranked memories, then the lowest-ranked passages,
   * one of each staying. A `top_k` of 64 memories (4,096 positions) had overflowed the LM's 2,048 inside
   * onnxruntime (a 500), and 64 passages were refused. Each count is found by halving steps (a prompt
   * tokenized once per turn or passage dropped held the event loop for seconds), after the passages and
   * oldest turns that cannot fit even at LM_TOKEN_MAX_CHARS characters a token are left out unread.
   */
  private fitContext(opts: AnswerOptions, inPrompt: Candidate[], memories: Candidate[]) {
    const { manifest, lm } = this.deps;
    const window = manifest.limits.max_lm_tokens;
    // a grounded answer's spans are read whole, however few tokens the answer may have
    const answer = opts.grounded ? Math.max(opts.maxTokens, GROUNDED_SPAN_TOKENS) : opts.maxTokens;
    const most = window * LM_TOKEN_MAX_CHARS;
    let chars = 0;
    const passages = inPrompt.filter((c, i) => (chars += c.passage.text.length) <= most || i === 0);
    chars = 0;
    const history = [...(opts.history ?? [])].reverse().filter((t) => (chars += t.question.length + t.answer.length) <= most).reverse();
    const build = (turns: number, shown: number) =>
      buildPrompt(manifest, opts.question, opts.givenPassages ?? passages.slice(0, shown).map((c) => c.passage.text), history.slice(turns));
    const room = (turns: number, shown: number, kept: number) => window - answer - kept * manifest.memory.slots - lm.promptTokens(build(turns, shown)).length;
    const fit = (turns: number, shown: number, kept: number) => ({ prompt: build(turns, shown), promptCandidates: passages.slice(0, shown), memoryCandidates: memories.slice(0, kept) });
    const [P, M, H] = [passages.length, memories.length, history.length];
    if (room(0, P, M) >= 0) return fit(0, P, M);
    // the fewest oldest turns to drop
    if (H && room(H, P, M) >= 0) return fit(fewest(1, H, (turns) => room(turns, P, M) >= 0), P, M);
    // then the memories that fit beside the prompt (one stays)
    const left = room(H, P, 0);
    if (M > 1 && left >= manifest.memory.slots) return fit(H, P, Math.min(M, Math.floor(left / manifest.memory.slots)));
    // then the passages (one stays; a passage or memory still too long is refused by generation: prompt_too_long)
    const kept = Math.min(M, 1);
    const drop = P > 1 ? fewest(1, P - 1, (dropped) => room(H, P - dropped, kept) >= 0) : 0;
    return fit(H, P - drop, kept);
  }

  /** The reader's PROPOSALS best spans over the texts grounded to, reading only those it has not read yet. */
  private async propose(
    reader: SpanReader, question: string, groundTo: { candidate: Candidate | null; text: string }[], readings: Map<number, ReaderSpan[]>, questionEmbedding?: Float32Array,
  ) {
    const unread = groundTo.filter((g) => !g.candidate || !readings.has(g.candidate.passage.id));
    const texts = unread.map((g) => g.text);
    const fresh = await reader.readEach(question, texts, PROPOSALS, await this.headers.of(question, texts, questionEmbedding));
    return bestSpans(groundTo.map((g) => (g.candidate && readings.get(g.candidate.passage.id)) || fresh[unread.indexOf(g)]), PROPOSALS);
  }

  /** Calibrated confidence, and the abstention it calls for (a reason) when below the threshold. */
  private judge(opts: AnswerOptions, signals: AnswerSignals) {
    const calibrator = this.deps.calibrator;
    const key = Calibrator.key(opts.mode, Boolean(opts.grounded));
    const p = calibrator?.probability(key, signals) ?? null;
    if (p === null) return { confidence: signals.tokenProb, calibrated: false, abstainReason: null };
    const setting = this.settings.abstainBelowConfidence;
    const threshold = opts.abstainBelowConfidence ?? (setting === 'auto' ? calibrator!.threshold(key)! : setting);
    const abstainReason = p < threshold ? `the answer is likely wrong (calibrated confidence ${p.toFixed(3)} < ${threshold})` : null;
    return { confidence: p, calibrated: true, abstainReason };
  }
}

/**
 * The reader reads each passage given (of the best retrieved); where `preferNewer`, each older passage a
 * newer one contradicts is set aside. Its readings, by passage id, serve the proposals after (no passage is
 * read twice); `read`: each passage with its best span; `kept`: those read less what was set aside.
 */
async function readPassages(reader: SpanReader, question: string, passages: Candidate[], preferNewer: boolean, headers: HeaderSimilarity, questionEmbedding?: Float32Array) {
  const texts = passages.map((c) => c.passage.text);
  const each = await reader.readEach(question, texts, PROPOSALS, await headers.of(question, texts, questionEmbedding));
  const readings = new Map<number, ReaderSpan[]>(passages.map((c, i) => [c.passage.id, each[i]]));
  const read: ReaderReading[] = passages.map((c, i) => ({ candidate: c, answer: each[i][0] }));
  const kept = preferNewer ? withoutContradicted(read, CONTRADICTS_ABOVE) : passages;
  return { readings, read, kept };
}

/** The passages by the reader's best span's gap over no answer, best first (retrieval's order where they score alike). */
function byReaderScore(passages: Candidate[], readings: Map<number, ReaderSpan[]>): Candidate[] {
  const score = (c: Candidate) => readings.get(c.passage.id)![0]?.gap ?? -Infinity;
  return [...passages].sort((a, b) => score(b) - score(a));
}

/** The candidates, those the reader read first by its preference (as grounded rag's prompt passages), then the rest in retrieval's order. */
function readerFirst(candidates: Candidate[], reading: { kept: Candidate[]; readings: Map<number, ReaderSpan[]> }): Candidate[] {
  return [...byReaderScore(reading.kept, reading.readings), ...candidates.filter((c) => !reading.readings.has(c.passage.id))];
}

/** A passage read with the reader's best span in it. */
type ReaderReading = Reading & { answer: ReaderSpan | undefined };

/** The passages read that contradict the answer given from `from`: newer, of other documents, the reader finding another answer there. */
function newerAnswers(read: ReaderReading[], from: Candidate, answer: string): Conflict[] {
  const given: Reading = { candidate: from, answer: { text: answer, gap: Infinity } };
  return read.flatMap((r) => r.answer && contradicts(r, given, CONTRADICTS_ABOVE) ? [{ candidate: r.candidate, span: r.answer }] : []);
}

/** Of `starts` (words), those none of `texts` (the question, the passages an answer reads) holds as a word. */
export function startsNotRead(starts: string[], texts: string[]): string[] {
  const read = texts.map(wordSet);
  return starts.filter((w) => !read.some((words) => words.has(w.toLowerCase())));
}

/** The answer when retrieval finds nothing relevant enough: an abstention, before the LM runs. */
function nothingRelevant(mode: Mode, reason: string, relevance: number | null, timings: AnswerResult['timings']): AnswerResult {
  return {
    answer: null, citations: [], conflicts: [], abstainReason: reason, confidence: 0, calibrated: false, tokenProb: 0, spanShare: null,
    readerAgree: null, readerScore: null, readerMargin: null, tableRow: null, relevance, mode, sources: [], timings, promptTokens: 0, cachedTokens: 0, completionTokens: 0, memories: 0,
  };
}

/** The best candidate's relevance, what the similarity gate compares (-1 without candidates). */
function topRelevance(candidates: Candidate[]): number {
  return candidates.length ? Math.max(...candidates.map((c) => c.relevance)) : -1;
}

/** The smallest n in [lo, hi] with ok(n), ok growing with n (hi where none is). */
function fewest(lo: number, hi: number, ok: (n: number) => boolean): number {
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (ok(mid)) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}
