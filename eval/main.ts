import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { Calibrator, passagesRead, readerSha256, type OnConflict } from '../answer/index.ts';
import { CALIBRATION_FILE } from '../answer/calibrator.ts';
import { BundleError } from '../bundle/index.ts';
import { readSquad, toArticleDocuments, toDocument, type SquadParagraph } from '../bench/squad.ts';
import { api, ingestAll } from '../bench/service.ts';
import { commandLine, gitRevision, machine } from '../bench/report.ts';
import { note, progressBar } from '../bench/progress.ts';
import { bundleSplitter, memoryFormat } from '../encoder/index.ts';
import { splitAnew } from '../ingest/index.ts';
import { SqliteStore, type MemoryStore } from '../memory/index.ts';
import { configSchema, readConfig, startService } from '../server/index.ts';
import { MODES, answerQuestion, onConflictOption, serviceMode, type EvalQuestion, type Mode, type QuestionRecord } from './modes.ts';
import { pairedDifference, summarize, type ModeSummary } from './score.ts';
import { ModeLog, modeLogPath, recordedModes } from './mode-log.ts';
import { gateNote, scoreRecords, selectiveSummary, withTableRows } from './selective.ts';

/** The code that runs is the code at start: a commit made while a long run goes on must not be credited with it. */
const STARTED_AT_REVISION = gitRevision();

const USAGE = `npm run eval -- --data FILE.jsonl --out results/NAME [options]

Streams every paragraph of a SQuAD-format file into the service's memory (the real webhook, worker,
SQLite and hnswlib), then asks the first --limit questions in file order, per mode, through the service's
own answer path. Writes NAME.json and NAME.md (the summary, with this command) and NAME/<mode>.jsonl
(one line per question; .jsonl.gz once the mode is answered). Rerunning resumes: a mode's answers are kept
while the settings it depends on (bundle, memory format, data, top_k, max tokens) are unchanged, so a
larger --limit only asks the new questions (after a code change the settings do not name, --fresh asks
them all again); the memory bank under --work is reused.

  --data FILE        SQuAD-format JSONL (one paragraph per line)
  --out PATH         results path without extension
  --modes LIST       ${MODES.join(',')} (default: all)
  --limit N          questions, first N in file order (default 500)
  --per-kind N       instead of --limit: the first N answerable and the first N unanswerable questions
                     in file order (SQuAD 2.0 files; an empty answer list marks an unanswerable one)
  --each-article     apply --per-kind to each article (its first N of each kind) instead of the whole file
  --title T          ask only questions on this article (repeatable); every paragraph is still ingested
  --documents D      what one webhook document holds: paragraph (default: each its own document) or
                     article (its paragraphs in file order, blank lines between: the service's splitter
                     decides where passages end; default --work gets an -articles suffix)
  --max-tokens N     new tokens per answer (default 16)
  --mac-top-k N      memories fused into the prefix (default: the bundle's)
  --rag-top-k N      passages in the prompt for rag (default: the service's RAG_TOP_K, 1)
  --reader-passages N  grounded modes: passages the reader chooses the prompt's from (default: the service's READER_PASSAGES)
  --retrieval R      how candidates are found: vector+keyword or vector (default: the service's RETRIEVAL)
  --codec C          how memories are stored: q8, q4, fp16 or fp32 (default: the bundle's; its own memory bank)
  --bundle DIR       model bundle (default bundles/default)
  --work DIR         memory bank and index (default runs/eval/<memory format>-<data hash>)
  --threads N        ONNX Runtime threads per model (default 0 = all cores)
  --stop-bias X      grounded decoding's stop bias (default: the service's GROUNDED_STOP_BIAS)
  --prompt-cache-mb N  the LM's cache of recent prompt passes (default: the service's PROMPT_CACHE_MB; 0: off)
  --on-conflict C    where a newer document read answers otherwise: note or newer (default:
                     the service's ON_CONFLICT, note); the notes are recorded per question (\`conflicts\`)
  --report-only      ask nothing: summarise the answers already recorded (a mode cut short reports its n;
                     logs are only read, and a log answered with other settings is named)
  --fresh            ask every question again: recorded answers are set aside (NAME/<mode>.jsonl.stale) even
                     when their settings match, as after a change to the code the settings do not name`;

interface Args {
  data: string;
  out: string;
  modes: Mode[];
  limit: number;
  perKind?: number;
  eachArticle: boolean;
  titles?: string[];
  documents: 'paragraph' | 'article';
  maxTokens: number;
  macTopK?: number;
  ragTopK?: number;
  readerPassages?: number;
  retrieval?: string;
  codec?: string;
  bundle: string;
  work?: string;
  threads: number;
  stopBias?: number;
  promptCacheMb?: number;
  onConflict?: OnConflict;
  reportOnly: boolean;
  fresh: boolean;
}

function parse(argv: string[]): Args {
  const { values } = parseArgs({
    args: argv,
    options: {
      data: { type: 'string' }, out: { type: 'string' }, modes: { type: 'string', default: MODES.join(',') },
      limit: { type: 'string', default: '500' }, 'per-kind': { type: 'string' }, 'each-article': { type: 'boolean', default: false }, title: { type: 'string', multiple: true }, documents: { type: 'string', default: 'paragraph' }, 'max-tokens': { type: 'string', default: '16' },
      'mac-top-k': { type: 'string' }, 'rag-top-k': { type: 'string' }, 'reader-passages': { type: 'string' }, retrieval: { type: 'string' }, codec: { type: 'string' }, bundle: { type: 'string', default: 'bundles/default' },
      work: { type: 'string' }, threads: { type: 'string', default: '0' }, 'stop-bias': { type: 'string' }, 'prompt-cache-mb': { type: 'string' }, 'on-conflict': { type: 'string' }, 'report-only': { type: 'boolean', default: false }, fresh: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help || !values.data || !values.out) {
    console.log(USAGE);
    process.exit(values.help ? 0 : 2);
  }
  const modes = values.modes!.split(',').map((m) => m.trim()).filter(Boolean);
  const unknown = modes.filter((m) => !(MODES as readonly string[]).includes(m));
  if (unknown.length) throw new Error(`unknown mode ${unknown.join(', ')}: choose from ${MODES.join(', ')}`);
  if (values.documents !== 'paragraph' && values.documents !== 'article') throw new Error(`--documents: paragraph or article, not ${values.documents}`);
  const int = (s: string | undefined) => (s === undefined ? undefined : Number.parseInt(s, 10));
  return {
    data: values.data, out: values.out.replace(/\.json$/, ''), modes: modes as Mode[], limit: int(values.limit)!, perKind: int(values['per-kind']), eachArticle: values['each-article']!,
    titles: values.title, documents: values.documents,
    maxTokens: int(values['max-tokens'])!, macTopK: int(values['mac-top-k']), ragTopK: int(values['rag-top-k']), readerPassages: int(values['reader-passages']),
    retrieval: values.retrieval === undefined ? undefined : configSchema.shape.RETRIEVAL.parse(values.retrieval),
    codec: values.codec === undefined ? undefined : configSchema.shape.MODULATION_CODEC.parse(values.codec),
    bundle: values.bundle!, work: values.work, threads: int(values.threads)!, reportOnly: values['report-only']!, fresh: values.fresh!,
    stopBias: values['stop-bias'] === undefined ? undefined : Number(values['stop-bias']),
    promptCacheMb: values['prompt-cache-mb'] === undefined ? undefined : Number(values['prompt-cache-mb']),
    onConflict: onConflictOption(values['on-conflict']),
  };
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

async function main() {
  const args = parse(process.argv.slice(2));
  const dataText = readFileSync(args.data, 'utf8');
  const paragraphs = readSquad(args.data);
  const articles = args.documents === 'article' ? toArticleDocuments(paragraphs) : null;
  const questions = selectQuestions(paragraphs, args).map((q) => (articles ? { ...q, place: articles.places.get(q.paragraph.id) } : q));
  const manifest = JSON.parse(readFileSync(join(args.bundle, 'manifest.json'), 'utf8'));
  const bundleId = manifest.bundle_id as string;
  const codec = args.codec ?? manifest.memory.codec;
  const format = memoryFormat(manifest, codec);
  const dataSha = sha256(dataText);
  const work = args.work ?? join('runs', 'eval', `${format}-${dataSha.slice(0, 8)}${articles ? '-articles' : ''}`);
  mkdirSync(work, { recursive: true });
  note(`machine: ${machine().cpu}, ${machine().cores} cores; bundle ${bundleId}; memory bank ${work}`);

  const settings = {
    bundle_id: bundleId, memory_format: format, data: args.data, data_sha256: dataSha, max_tokens: args.maxTokens,
    // The values in effect, not "the default": a changed default must not pass for the same settings.
    mac_top_k: args.macTopK ?? manifest.memory.fused, rag_top_k: args.ragTopK ?? configSchema.shape.RAG_TOP_K.parse(undefined),
    retrieval: args.retrieval ?? configSchema.shape.RETRIEVAL.parse(undefined),
    // Recorded only when set, so the logs answered with the service's default keep their settings.
    ...(args.promptCacheMb !== undefined ? { prompt_cache_mb: args.promptCacheMb } : {}),
    ...(articles ? { documents: 'article' } : {}),
  };
  // Only grounded modes depend on the stop bias, so only their logs record it (a change restarts just them).
  const stopBias = args.stopBias ?? configSchema.shape.GROUNDED_STOP_BIAS.parse(undefined);
  // Grounded answers are checked by the bundle's reader where it has one, so their logs name it (another reader restarts them).
  const readerSha = readerSha256(args.bundle);
  const reader = readerSha?.slice(0, 12);
  // ... and, in rag and hybrid, how many retrieved passages it chooses the prompt's from (recorded only where
  // that is more than the prompt holds: otherwise the prompt is retrieval's best, as before it chose).
  const readerPassages = args.readerPassages ?? configSchema.shape.READER_PASSAGES.parse(undefined);
  const chooses = (mode: Mode) => {
    const asked = serviceMode(mode);
    const read = passagesRead({ mode: asked.mode, reader: reader !== undefined && asked.grounded, givenPassages: asked.oracle, ragK: settings.rag_top_k, readerPassages });
    return read > settings.rag_top_k;
  };
  // Where a newer document answers otherwise matters to every mode that retrieves (its reader reads the pool).
  const retrieves = (mode: Mode) => serviceMode(mode).mode !== 'base' && !serviceMode(mode).oracle;
  const modeSettings = (mode: Mode) => ({
    ...settings, mode,
    ...(mode.endsWith('+grounded') ? {
      grounded_stop_bias: stopBias, ...(reader ? { reader } : {}), ...(chooses(mode) ? { reader_passages: readerPassages } : {}),
    } : reader && retrieves(mode) ? { reader } : {}), // the reader checks free-text answers too (reader_agree, reader_score)
    ...(args.onConflict && retrieves(mode) ? { on_conflict: args.onConflict } : {}), // only when set, as prompt_cache_mb
  });
  const running = args.reportOnly ? null : await startService(readConfig({
    PORT: '0', HOST: '127.0.0.1', DATA_DIR: work, BUNDLE_DIR: args.bundle, PROBE_INTERVAL_S: '0', ABSTAIN_BELOW: '-1',
    SNAPSHOT_INTERVAL_S: '60', THREADS: String(args.threads),
    ...(args.stopBias !== undefined ? { GROUNDED_STOP_BIAS: String(args.stopBias) } : {}),
    ...(args.promptCacheMb !== undefined ? { PROMPT_CACHE_MB: String(args.promptCacheMb) } : {}),
    ...(args.onConflict ? { ON_CONFLICT: args.onConflict } : {}),
    ...(args.macTopK ? { MAC_TOP_K: String(args.macTopK) } : {}), ...(args.ragTopK ? { RAG_TOP_K: String(args.ragTopK) } : {}),
    READER_PASSAGES: String(readerPassages),
    RETRIEVAL: settings.retrieval, MODULATION_CODEC: codec,
  }));
  const store = running?.store ?? new SqliteStore(join(work, 'memory.sqlite'));
  try {
    const client = running ? api(running.url) : null;
    // read once, before this run writes over it
    const earlier = previousReport(args.out);
    let ingest: object | null = earlier.ingest ?? null;
    if (running && client) {
      const docs = articles?.documents ?? paragraphs.map(toDocument);
      note(`streaming ${docs.length} ${articles ? 'articles' : 'paragraphs'} into memory (unchanged ones are skipped by the service)`);
      ingest = await ingestAll(client, docs, 50, 'ingest');
      // The service skips a document it holds already, so a bank made before a change to the splitter would
      // answer from the old passages: refuse it rather than measure them. (A document that failed to index
      // holds no passages; the ingest summary counts it, as before.)
      const splitter = bundleSplitter(args.bundle);
      const stale = docs.filter((d) => store.documentPassages(d.id).length && splitAnew(store, splitter, d.id, d.text) !== null);
      if (stale.length) {
        throw new Error(`${stale.length} of ${docs.length} documents in the memory bank ${work} are stored in other passages than this ` +
          `release splits them into (a bank made before a change to encoder/passages.ts; the first: ${stale[0].id}). Remove ${work}, or pass --work with a new folder.`);
      }
    }
    const calibrator = loadCalibrator(args.bundle, bundleId, readerSha);
    const calibrationSha = calibrator && sha256(readFileSync(join(args.bundle, CALIBRATION_FILE), 'utf8')).slice(0, 12);
    const scoredBefore = earlier.settings?.calibration_sha256;
    if (args.reportOnly && scoredBefore !== calibrationSha) {
      note(`the confidence figures are scored with the bundle's calibration (${calibrationSha ?? 'none'}), not the one that scored this report before (${scoredBefore ?? 'not recorded'})`);
    }
    const gate = configSchema.shape.ABSTAIN_BELOW.parse(undefined);
    const selective: Record<string, ReturnType<typeof selectiveSummary>> = {};
    const summaries: Record<string, ModeSummary> = {};
    const answered = new Map<Mode, Map<string, QuestionRecord>>();
    // A report covers every mode its folder holds: a run that adds modes to a folder reports the earlier ones too.
    const reported = [...args.modes, ...recordedModes(args.out).filter((mode) => !args.modes.includes(mode))];
    for (const mode of reported) {
      const asked = args.modes.includes(mode);
      const log = new ModeLog(modeLogPath(args.out, mode), modeSettings(mode), { readOnly: args.reportOnly || !asked, fresh: args.fresh, warn: note });
      if (running && client && asked) {
        const done = log.records();
        if (done.size) note(`${mode}: ${done.size} answers kept from an earlier run with these settings (--fresh asks them again)`);
        const bar = progressBar(mode, questions.length);
        for (const [i, q] of questions.entries()) {
          if (!done.has(q.id)) log.append(await answerQuestion(running, client, mode, q, args.maxTokens));
          bar.update(i + 1);
        }
        bar.done();
      }
      // The first --limit questions that have an answer (all of them, unless --report-only on a partial run).
      const records = log.records();
      log.compress();
      const mine = new Map(questions.filter((q) => records.has(q.id)).map((q) => [q.id, records.get(q.id)!]));
      answered.set(mode, mine);
      summaries[mode] = summarize([...mine.values()]);
      note(`${mode}: F1 ${summaries[mode].f1} EM ${summaries[mode].em} (n ${summaries[mode].n})`);
      const scored = calibrator && scoreRecords(calibrator, mode, withTableRows([...mine.values()], args.data), gate);
      const older = scored && gateNote([...mine.values()]);
      if (older) note(`${mode}: ${older}`);
      if (scored) selective[mode] = selectiveSummary(scored, calibrator!.threshold(mode)!);
      else if (calibrator?.has(mode)) note(`${mode}: no calibration figures: its log lacks a signal the calibration reads (${calibrator.features(mode).join(', ')}); answer it again into a new --out`);
      const compare = (a: Mode, b: Mode) => {
        if (!answered.has(a) || !answered.has(b)) return undefined;
        const both = [...answered.get(a)!.keys()].filter((id) => answered.get(b)!.has(id));
        return pairedDifference(both.map((id) => answered.get(a)!.get(id)!), both.map((id) => answered.get(b)!.get(id)!));
      };
      const comparisons = {
        mac_minus_base: compare('mac', 'base'), hybrid_minus_rag: compare('hybrid', 'rag'), oracle_minus_mac: compare('oracle', 'mac'),
        hybrid_grounded_minus_rag_grounded: compare('hybrid+grounded', 'rag+grounded'),
        ...Object.fromEntries((['mac', 'rag', 'hybrid', 'oracle'] as const).map((m) => [`${m}_grounded_minus_${m}`, compare(`${m}+grounded`, m)])),
      };
      write(args, store, args.reportOnly ? earlier : {}, { settings: { ...settings, calibration_sha256: calibrationSha, limit: args.limit, per_kind: args.perKind ?? null, each_article: args.eachArticle, titles: args.titles ?? null }, ingest, summaries, comparisons, selective });
    }
  } finally {
    if (running) await running.close();
    else store.close();
  }
}

/** The bundle's calibration (eval/selective.ts scores each mode's answers with it), if it has one for this bundle. */
function loadCalibrator(bundleDir: string, bundleId: string, readerSha: string | null): Calibrator | null {
  try {
    return Calibrator.load(bundleDir, bundleId, readerSha);
  } catch (err) {
    if (!(err instanceof BundleError)) throw err;
    note(`no calibration figures: ${err.message}`);
    return null;
  }
}

/** The questions asked, in file order: the first --limit, or the first --per-kind of each kind; only the --title articles. */
function selectQuestions(paragraphs: SquadParagraph[], args: Args): EvalQuestion[] {
  const wanted = args.titles && new Set(args.titles);
  const unknown = args.titles?.filter((t) => !paragraphs.some((p) => p.title === t)) ?? [];
  if (unknown.length) throw new Error(`--title: no article ${unknown.join(', ')} in ${args.data}`);
  const all = paragraphs.filter((p) => !wanted || wanted.has(p.title)).flatMap((p) => p.qas.map((q) => ({ ...q, paragraph: p })));
  if (args.perKind === undefined) return all.slice(0, args.limit);
  const groups = args.eachArticle ? [...new Set(all.map((q) => q.paragraph.title))].map((t) => all.filter((q) => q.paragraph.title === t)) : [all];
  const chosen = new Set(groups.flatMap((qs) => [
    ...qs.filter((q) => q.answers.length).slice(0, args.perKind), ...qs.filter((q) => !q.answers.length).slice(0, args.perKind),
  ]));
  return all.filter((q) => chosen.has(q));
}

/**
 * What an earlier run of the same report measured that --report-only cannot: its ingestion figures, the machine
 * and revision that answered (the answers' timings are theirs), and the calibration that scored its confidence.
 */
interface PreviousReport {
  ingest?: object; machine?: ReturnType<typeof machine>; git?: string; finished_at?: string; settings?: { calibration_sha256?: string | null };
}

function previousReport(out: string): PreviousReport {
  try {
    return JSON.parse(readFileSync(`${out}.json`, 'utf8'));
  } catch {
    return {};
  }
}

interface EvalResult {
  settings: object;
  ingest: object | null;
  summaries: Record<string, ModeSummary>;
  /** Paired-bootstrap F1 differences in points, with 95% intervals. */
  comparisons: Record<string, { n: number; diff: number; low: number; high: number } | undefined>;
  /** Calibration and selective answering, per mode with a calibration (eval/selective.ts). */
  selective: Record<string, ReturnType<typeof selectiveSummary>>;
}

/** `earlier`: for --report-only, the report it summarises again (its answering machine and revision are kept). */
function write(args: Args, store: Pick<MemoryStore, 'storageBytes'>, earlier: PreviousReport, result: EvalResult) {
  const bytes = store.storageBytes();
  const now = { git: STARTED_AT_REVISION, finished_at: new Date().toISOString(), machine: machine() };
  // A --report-only run keeps the machine and revision that answered, and says when it summarised them again.
  const answeredBy = earlier.machine && earlier.git && earlier.finished_at ? { git: earlier.git, finished_at: earlier.finished_at, machine: earlier.machine } : now;
  const report = {
    // A --report-only run summarises the answers of the same command without the flag: that is the one to rerun.
    command: commandLine(process.argv.slice(2).filter((a) => a !== '--report-only'), 'eval', 'eval/main.ts'), ...answeredBy,
    ...(answeredBy !== now ? { summarised: { git: now.git, at: now.finished_at, cpu: now.machine.cpu } } : {}),
    scale: 'EM and F1 in points (0-100), SQuAD normalisation, best over the gold answers; greedy decoding',
    ...result,
    memory_bytes_per_passage: bytes.passages ? Math.round(bytes.modulation / bytes.passages) : null,
    sentence_embedding_bytes_per_passage: bytes.passages ? Math.round(bytes.sentenceEmbeddings / bytes.passages) : null,
  };
  mkdirSync(dirname(args.out) || '.', { recursive: true });
  writeFileSync(`${args.out}.json`, JSON.stringify(report, null, 2) + '\n');
  const rows = Object.entries(result.summaries).map(([mode, s]) =>
    `| ${mode} | ${s.n} | ${s.em.toFixed(1)} | ${s.f1.toFixed(1)} | ${s.gold_in_context ?? '–'} | ${s.f1_gold_read ?? '–'} / ${s.f1_gold_missed ?? '–'} | ${s.median_ms} | ${s.mean_prompt_tokens} | ${s.prompt_cached ?? '–'} | ${s.mean_answer_words} | ${s.cited ?? '–'} | ${s.citation_precision ?? '–'} | ${s.answer_span_precision ?? '–'} |`);
  writeFileSync(`${args.out}.md`, [
    `# ${args.out}`, '', '```bash', report.command, '```', '',
    `${report.machine.cpu} (${report.machine.isa.join(' ')}), ${report.machine.cores} cores, ${report.machine.onnxruntime}; git ${report.git}; bundle ${(result.settings as { bundle_id: string }).bundle_id}; ` +
      `memory ${report.memory_bytes_per_passage} B per passage`, '',
    '| mode | n | EM | F1 | gold passage read | F1, gold read / not | median ms | prompt tokens | share cached | answer words | cited | citation precision | answer span precision |', '|---|---|---|---|---|---|---|---|---|---|---|---|---|', ...rows, '',
    'Paired F1 differences (points, 95% bootstrap interval): ' +
      Object.entries(result.comparisons).filter(([, c]) => c).map(([k, c]) => `${k.replace(/_/g, ' ')} ${c!.diff} [${c!.low}, ${c!.high}] (n ${c!.n})`).join('; '), '',
    ...selectiveTable(result.selective),
  ].join('\n'));
}

function selectiveTable(selective: EvalResult['selective']): string[] {
  const modes = Object.entries(selective);
  if (!modes.length) return [];
  const cell = (x: number | null) => (x === null ? '–' : String(x));
  return [
    '## Calibrated confidence and selective answering', '',
    'ECE and AUROC (for "F1 >= 0.5") over the answerable questions: beside ECE, the median and 95th percentile of the ECE that a ' +
      'perfectly calibrated confidence would read on the same questions (chance alone); AUROC with its 95% bootstrap interval; at the mode\'s default threshold (the bundle\'s calibration.json, ' +
      'with the service\'s similarity gate ABSTAIN_BELOW): shares answered, F1 of the answerable questions answered vs all of them, and SQuAD 2.0 F1 ' +
      '(an abstention on an unanswerable question scores 1).', '',
    '| mode | ECE | ECE if calibrated: median, 95th pct | AUROC [95%] | mean confidence | share right | threshold | answered | answerable answered | unanswerable abstained | F1 answered / all answerable | SQuAD 2.0 F1 | citation precision (answered) | answer span precision (answered) |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|',
    ...modes.map(([mode, s]) => {
      const t = s.at_default_threshold;
      const range = (r: [number, number] | null) => (r ? ` [${r[0]}, ${r[1]}]` : '');
      const chance = s.ece_if_calibrated ? `${s.ece_if_calibrated.median}, ${s.ece_if_calibrated.p95}` : '–';
      return `| ${mode} | ${cell(s.ece)} | ${chance} | ${cell(s.auroc)}${range(s.auroc_interval)} | ${cell(s.mean_confidence)} | ${cell(s.share_right)} | ${t.threshold} | ${t.answered} | ${cell(t.answerable_answered)} | ${cell(t.unanswerable_abstained)} | ${cell(t.f1_answered)} / ${cell(t.f1_answerable)} (${cell(t.f1_ratio)}x) | ${cell(t.squad2_f1)} | ${cell(t.citation_precision)} | ${cell(t.answer_span_precision)} |`;
    }), '',
    // no curve where no question is answerable
    ...(modes[0][1].risk_coverage.length ? [
      'Risk-coverage (F1 of the answerable questions answered when only the most confident share is answered):', '',
      `| mode | ${modes[0][1].risk_coverage.map((p) => `${Math.round(p.coverage * 100)}%`).join(' | ')} |`,
      `|---|${modes[0][1].risk_coverage.map(() => '---').join('|')}|`,
      ...modes.map(([mode, s]) => `| ${mode} | ${s.risk_coverage.map((p) => p.f1).join(' | ')} |`), '',
    ] : []),
  ];
}

await main();
