import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { MemoryConcatenator } from '../aggregator/index.ts';
import { commandLine, gitRevision, machine } from '../bench/report.ts';
import { note, progressBar } from '../bench/progress.ts';
import { readSquad, type SquadParagraph } from '../bench/squad.ts';
import { loadBundle, type Bundle, type MemorySpec } from '../bundle/index.ts';
import { KvMemoryEncoder } from '../encoder/index.ts';
import { answerNll, buildPrompt } from '../lm/index.ts';

/** The code that runs is the code at start: a commit made while a long run goes on must not be credited with it. */
const STARTED_AT_REVISION = gitRevision();

const USAGE = `npm run eval:gap -- --data FILE.jsonl --out results/NAME [--questions 64] [--slots N] [--selection salient|uniform] [--placement relative|compact]

Does the memory's content reach the answer? For the first --questions questions of the file, the answer's
NLL (nats per token, teacher-forced, the service's prompt) with the gold paragraph's memory, with a wrong
paragraph's memory (another article), and with none; and with memories of 8: the gold among 7 paragraphs
of its own article, against 8 memories without it. Memories are made by the service's own encoder
(encoder/kv-memory.ts) and fused by its own concatenation; the --slots/--selection/--placement options
override the bundle's memory settings for this run (a storage/quality curve).`;

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(xs.length, 1);
const round = (x: number) => Number(x.toFixed(3));

/** Deterministic pseudo-random position for the gold memory among 8 (the same for every run). */
const slotFor = (i: number) => (i * 5 + 3) % 8;

function distractors(paragraphs: SquadParagraph[], gold: number, n: number): number[] {
  const same = paragraphs.map((_, i) => i).filter((i) => i !== gold && paragraphs[i].title === paragraphs[gold].title);
  const near = same.sort((a, b) => Math.abs(a - gold) - Math.abs(b - gold)).slice(0, n);
  for (let d = 1; near.length < n; d++) if (gold + d < paragraphs.length && !near.includes(gold + d)) near.push(gold + d);
  return near;
}

function wrongParagraph(paragraphs: SquadParagraph[], gold: number): number {
  for (let d = 50; ; d++) {
    const i = (gold + d) % paragraphs.length;
    if (paragraphs[i].title !== paragraphs[gold].title) return i;
  }
}

async function main() {
  const { values } = parseArgs({
    options: {
      data: { type: 'string' }, out: { type: 'string' }, questions: { type: 'string', default: '64' },
      slots: { type: 'string' }, selection: { type: 'string' }, placement: { type: 'string' },
      bundle: { type: 'string', default: 'bundles/default' }, threads: { type: 'string', default: '0' }, help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help || !values.data || !values.out) {
    console.log(USAGE);
    process.exit(values.help ? 0 : 2);
  }
  const loaded = await loadBundle(values.bundle!, { threads: Number(values.threads), verifyHashes: false });
  const memory: MemorySpec = {
    ...loaded.manifest.memory,
    ...(values.slots ? { slots: Number(values.slots) } : {}),
    ...(values.selection ? { selection: values.selection as MemorySpec['selection'] } : {}),
    ...(values.placement ? { placement: values.placement as MemorySpec['placement'] } : {}),
  };
  const bundle: Bundle = { ...loaded, manifest: { ...loaded.manifest, memory } };
  const encoder = new KvMemoryEncoder(bundle);
  const concat = new MemoryConcatenator(bundle);
  const paragraphs = readSquad(values.data);
  const questions = paragraphs.flatMap((p, pi) => p.qas.map((q) => ({ ...q, pi }))).slice(0, Number(values.questions));
  const cache = new Map<number, Float32Array>();
  const memoryOf = async (i: number) => cache.get(i) ?? cache.set(i, await encoder.encode(paragraphs[i].context)).get(i)!;
  const nll = { none: [] as number[], right: [] as number[], wrong: [] as number[], right8: [] as number[], wrong8: [] as number[] };
  const bar = progressBar('gap', questions.length);
  const slotCounts: number[] = [];
  for (const [qi, q] of questions.entries()) {
    const prompt = buildPrompt(bundle.manifest, q.question);
    const answer = q.answers[0];
    const score = async (memories: number[]) => {
      if (!memories.length) return answerNll(bundle, prompt, answer, null);
      const prefix = concat.concat(await Promise.all(memories.map(memoryOf)));
      try {
        return await answerNll(bundle, prompt, answer, prefix);
      } finally {
        for (const t of [...prefix.keys, ...prefix.values]) t.dispose?.();
      }
    };
    const wrong = wrongParagraph(paragraphs, q.pi);
    const others = distractors(paragraphs, q.pi, 7);
    const eight = [...others];
    eight.splice(slotFor(qi), 0, q.pi); // concat() reads its input best first; the gold's place varies
    nll.none.push(await score([]));
    nll.right.push(await score([q.pi]));
    nll.wrong.push(await score([wrong]));
    nll.right8.push(await score(eight));
    nll.wrong8.push(await score(eight.map((i) => (i === q.pi ? wrong : i))));
    slotCounts.push((await memoryOf(q.pi)).length / (bundle.manifest.dims.lm_layers * 2 * bundle.manifest.dims.lm_kv_heads * bundle.manifest.dims.lm_head_dim));
    bar.update(qi + 1);
  }
  bar.done();
  const perSlot = bundle.manifest.dims.lm_layers * 2 * bundle.manifest.dims.lm_kv_heads * bundle.manifest.dims.lm_head_dim;
  const summary = {
    questions: questions.length,
    nll: Object.fromEntries(Object.entries(nll).map(([k, v]) => [k, round(mean(v))])),
    gap_1: round(mean(nll.wrong) - mean(nll.right)),
    gap_8: round(mean(nll.wrong8) - mean(nll.right8)),
    mean_slots: round(mean(slotCounts)),
    // q8: 36 bytes per 32 values
    bytes_per_passage_q8: Math.round((mean(slotCounts) * perSlot * 36) / 32),
  };
  note(`gap@1 ${summary.gap_1} nats, gap@8 ${summary.gap_8} nats; NLL ${JSON.stringify(summary.nll)}`);
  const report = {
    command: commandLine(process.argv.slice(2), 'eval:gap', 'eval/gap.ts'), git: STARTED_AT_REVISION, finished_at: new Date().toISOString(),
    machine: machine(), bundle_id: bundle.manifest.bundle_id, memory: { ...memory, rope_inv_freq: undefined }, ...summary,
  };
  mkdirSync(dirname(values.out!) || '.', { recursive: true });
  writeFileSync(`${values.out!.replace(/\.json$/, '')}.json`, JSON.stringify(report, null, 2) + '\n');
  await loaded.close();
}

await main();
