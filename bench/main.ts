import { existsSync, readFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { loadBundle } from '../bundle/index.ts';
import { OnnxEncoder } from '../encoder/index.ts';
import { parseArgs } from 'node:util';
import { runAnswer } from './answer.ts';
import { runBigDocuments } from './big-documents.ts';
import { runDecode } from './decode.ts';
import { runIngest } from './ingest.ts';
import { runLoadSection } from './load.ts';
import { runMemory } from './memory.ts';
import { runPromptCache } from './prompt-cache.ts';
import { runSpin } from './spin.ts';
import { note } from './progress.ts';
import { commandLine, gitRevision, machine, markdownPath, writeReport, type Meta, type Section } from './report.ts';
import { runScale, type ScaleData } from './scale.ts';
import { ingestAll, startBenchService, type BenchService, type IngestRun } from './service.ts';
import { firstQuestions, readSquad, toDocument } from './squad.ts';

const USAGE = `npm run bench -- --out FILE.json [--bundle DIR] [--sections answer,decode,ingest,memory,scale,load,prompt-cache,spin,big-documents]
                 [--questions N] [--scale-n N] [--scale-data fitted|uniform] [--scale-fit FILE.jsonl]
                 [--load-seconds S] [--threads N] [--squad FILE.jsonl]
Writes FILE.json and FILE.md after every section, so a stopped run keeps the sections it finished.`;
const SECTIONS = ['answer', 'decode', 'ingest', 'memory', 'scale', 'load', 'prompt-cache', 'spin', 'big-documents'] as const;
type SectionName = (typeof SECTIONS)[number];
/** The sections on one service whose memory holds every SQuAD paragraph (the answer section's). */
const SQUAD_SECTIONS: SectionName[] = ['answer', 'load', 'prompt-cache', 'spin'];
// the sections sharing the SQuAD service run first, one after another; scale is the heaviest, so it runs last.
const RUN_ORDER: SectionName[] = [...SQUAD_SECTIONS, 'decode', 'ingest', 'memory', 'big-documents', 'scale'];

const { values: args } = parseArgs({
  options: {
    out: { type: 'string' },
    bundle: { type: 'string', default: 'bundles/default' },
    sections: { type: 'string', default: SECTIONS.join(',') },
    questions: { type: 'string', default: '50' },
    'scale-n': { type: 'string', default: '1000000' },
    'scale-data': { type: 'string', default: 'fitted' },
    'scale-fit': { type: 'string', default: '/work/shared/data/squad/squad-1.1-train.jsonl' },
    'load-seconds': { type: 'string', default: '60' },
    threads: { type: 'string', default: '2' },
    squad: { type: 'string', default: '/work/shared/data/squad/squad-1.1-validation.jsonl' },
    help: { type: 'boolean', default: false },
  },
});

function positiveInt(name: string, value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) fail(`--${name} must be a positive integer, got ${value}`);
  return n;
}

function fail(message: string): never {
  console.error(`${message}\n\n${USAGE}`);
  process.exit(2);
}

if (args.help) {
  console.log(USAGE);
  process.exit(0);
}
if (!args.out) fail('--out is required');
const out = resolve(args.out);
const bundleDir = resolve(args.bundle!);
const selected = args.sections!.split(',').map((s) => s.trim()).filter(Boolean);
const unknown = selected.filter((s) => !(SECTIONS as readonly string[]).includes(s));
if (unknown.length) fail(`unknown section(s) ${unknown.join(', ')}; choose from ${SECTIONS.join(', ')}`);
const questionCount = positiveInt('questions', args.questions!);
const scaleN = positiveInt('scale-n', args['scale-n']!);
const loadSeconds = positiveInt('load-seconds', args['load-seconds']!);
const needsSquad = selected.some((s) => s !== 'scale');
const scaleData = args['scale-data']!;
if (scaleData !== 'fitted' && scaleData !== 'uniform') fail(`--scale-data must be fitted or uniform, got ${scaleData}`);
if (selected.includes('scale') && scaleData === 'fitted' && !existsSync(args['scale-fit']!)) fail(`--scale-fit data not found at ${args['scale-fit']}`);
if (needsSquad && !existsSync(args.squad!)) fail(`SQuAD data not found at ${args.squad}`);

const manifestPath = join(bundleDir, 'manifest.json');
const meta: Meta = {
  started_at: new Date().toISOString(),
  command: commandLine(process.argv.slice(2)),
  node: process.version,
  git: gitRevision(),
  bundle_dir: args.bundle!,
  bundle_id: existsSync(manifestPath) ? JSON.parse(readFileSync(manifestPath, 'utf8')).bundle_id : null,
  machine: machine(),
};
const paragraphs = needsSquad ? readSquad(args.squad!) : [];
const questions = firstQuestions(paragraphs, questionCount);
const sections: Section[] = [];
const failures: Record<string, string> = {};
const save = (finished: boolean) => writeReport(out, meta, sections, failures, finished);

// SQUAD_SECTIONS' service, started by the first of them.
let shared: { svc: BenchService; setup: IngestRun } | null = null;
async function squadService() {
  if (!shared) {
    note(`starting the service on ${args.bundle} and ingesting ${paragraphs.length} SQuAD paragraphs`);
    const svc = await startBenchService(bundleDir);
    try {
      shared = { svc, setup: await ingestAll(svc.api, paragraphs.map(toDocument), 50, 'answer setup') };
    } catch (err) {
      await svc.close();
      throw err;
    }
  }
  return shared;
}
/**
 * Starts the SQuAD service (ingestion included) now, so no section times it, and returns what restarts it
 * on the same data with other settings (load, prompt-cache and spin compare settings).
 */
async function squadRestarter(): Promise<(env: Record<string, string>) => Promise<BenchService>> {
  const service = await squadService();
  return async (env) => (service.svc = await service.svc.restart(env));
}
async function closeSquadService() {
  await shared?.svc.close();
  shared = null;
}

const run: Record<SectionName, () => Promise<Section>> = {
  answer: async () => {
    const { svc, setup } = await squadService();
    return runAnswer(svc, questions, setup);
  },
  load: async () => runLoadSection(await squadRestarter(), questions, loadSeconds),
  'prompt-cache': async () => runPromptCache(await squadRestarter(), questions),
  spin: async () => runSpin(await squadRestarter(), questions),
  decode: () => runDecode(bundleDir, paragraphs, positiveInt('threads', args.threads!)),
  ingest: () => runIngest(bundleDir, paragraphs, positiveInt('threads', args.threads!)),
  memory: () => runMemory(bundleDir, paragraphs),
  'big-documents': () => runBigDocuments(bundleDir, paragraphs),
  scale: async () => runScale(scaleN, scaleData === 'uniform' ? { kind: 'uniform' } : await realEmbeddings(args['scale-fit']!)),
};

/** The bundle's retrieval embeddings of a SQuAD file's paragraphs: what the fitted scale vectors imitate. */
async function realEmbeddings(file: string): Promise<ScaleData> {
  const texts = readSquad(file).map((p) => p.context);
  note(`scale: embedding ${texts.length} paragraphs of ${file} with ${args.bundle}`);
  const bundle = await loadBundle(bundleDir, { verifyHashes: false });
  try {
    return { kind: 'fitted', source: basename(file), embeddings: await new OnnxEncoder(bundle).embedTexts(texts) };
  } finally {
    await bundle.close();
  }
}

save(false);
note(`writing ${out} and ${markdownPath(out)}`);
for (const name of RUN_ORDER.filter((s) => selected.includes(s))) {
  if (!SQUAD_SECTIONS.includes(name)) await closeSquadService();
  note(`section ${name}: start`);
  const t0 = performance.now();
  try {
    sections.push(await run[name]());
    note(`section ${name}: done in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  } catch (err) {
    failures[name] = err instanceof Error ? (err.stack ?? err.message) : String(err);
    note(`section ${name}: FAILED: ${err instanceof Error ? err.message : err}`);
  }
  save(false);
}
await closeSquadService();
save(true);
note(`wrote ${out} and ${markdownPath(out)}`);
process.exit(Object.keys(failures).length ? 1 : 0);
