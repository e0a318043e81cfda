import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { memoryFormat } from '../encoder/index.ts';
import { api, ingestAll } from '../bench/service.ts';
import { commandLine, gitRevision, machine } from '../bench/report.ts';
import { note, progressBar } from '../bench/progress.ts';
import { readSquad, toDocument, type SquadParagraph } from '../bench/squad.ts';
import { normalizeAnswer } from '../monitor/index.ts';
import { readConfig, startService } from '../server/index.ts';
import { MODES, answerQuestion, onConflictOption, type EvalQuestion, type Mode } from './modes.ts';
import { ModeLog, modeLogPath } from './mode-log.ts';

/** The code that runs is the code at start: a commit made while a long run goes on must not be credited with it. */
const STARTED_AT_REVISION = gitRevision();

const USAGE = `npm run eval:update -- --data FILE.jsonl --out results/NAME [--edits 100] [--modes ...] [--as version|document|brief] [--on-conflict note|newer]

Does the answer follow a document's new version? Every paragraph of the file goes into memory; then, for
the first --edits questions whose answer occurs in its paragraph and has a replacement of the same kind
(a year for a year, another number for a number, a capitalised name for a name, else any span), a second version of the paragraph
with every occurrence of the answer replaced by another question's answer (from another article) is sent
to the webhook as the same document. Each mode is then asked the question: does the answer follow the new
value, the old one, or neither? (oracle: the new version in the prompt.)

--as document: the edited paragraph arrives instead as another document (its id + "/update", published
2026-06-01; the originals 2020-06-01), so both stay in memory, as when a newer source restates an older one
with a fact changed. --as brief: the same, the newer document only the edited paragraph's sentence that
holds the new value (a short item restating one sentence of the older). --on-conflict: what grounded answers
ask for where a newer document read answers otherwise (default: the service's, note).`;

type Kind = 'year' | 'number' | 'name' | 'other';
const kindOf = (answer: string): Kind =>
  /^\d{4}$/.test(answer.trim()) ? 'year' : /\d/.test(answer) ? 'number' : /^\p{Lu}/u.test(answer) ? 'name' : 'other';
const contains = (prediction: string, value: string) => {
  const p = ` ${normalizeAnswer(prediction)} `;
  const v = normalizeAnswer(value);
  return v.length > 0 && p.includes(` ${v} `);
};

/** Which value an answer gives: the new one if its normalised form occurs in the answer, else the old one if that does, else neither. */
export const follows = (prediction: string, newer: string, older: string): 'new' | 'old' | 'neither' =>
  contains(prediction, newer) ? 'new' : contains(prediction, older) ? 'old' : 'neither';

export interface Edit extends EvalQuestion {
  old: string;
  new: string;
}

/** Deterministic edits: the first questions in file order with an answer span and a same-kind replacement from another article. */
export function makeEdits(paragraphs: SquadParagraph[], limit: number): Edit[] {
  const pool = paragraphs.flatMap((p) => p.qas.map((q) => ({ title: p.title, answer: q.answers[0] ?? '' })));
  const edits: Edit[] = [];
  const used = new Set<string>();
  for (const p of paragraphs) {
    for (const q of p.qas) {
      if (edits.length >= limit) return edits;
      if (used.has(p.id)) break; // one edit per paragraph: its new version answers one question
      const old = q.answers[0];
      if (!old || !p.context.includes(old)) continue;
      const seed = parseInt(createHash('sha256').update(q.id).digest('hex').slice(0, 8), 16);
      const candidates = pool.filter((c) => c.title !== p.title && kindOf(c.answer) === kindOf(old) && normalizeAnswer(c.answer) !== normalizeAnswer(old)
        && c.answer.split(' ').length <= old.split(' ').length + 2 && !p.context.includes(c.answer));
      if (!candidates.length) continue;
      const replacement = candidates[seed % candidates.length].answer;
      used.add(p.id);
      edits.push({ id: q.id, question: q.question, answers: [replacement], old, new: replacement,
        paragraph: { ...p, context: p.context.split(old).join(replacement) } });
    }
  }
  return edits;
}

/** The sentence of the text that holds `value` (the text itself if none does). */
const sentenceWith = (text: string, value: string) => text.split(/(?<=[.!?])\s+/).find((s) => s.includes(value)) ?? text;

export async function main() {
  const { values } = parseArgs({
    options: {
      data: { type: 'string' }, out: { type: 'string' }, edits: { type: 'string', default: '100' }, modes: { type: 'string', default: MODES.join(',') },
      'max-tokens': { type: 'string', default: '16' }, bundle: { type: 'string', default: 'bundles/default' }, threads: { type: 'string', default: '0' },
      work: { type: 'string' }, as: { type: 'string', default: 'version' }, 'on-conflict': { type: 'string' }, help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help || !values.data || !values.out) {
    console.log(USAGE);
    process.exit(values.help ? 0 : 2);
  }
  if (values.as !== 'version' && values.as !== 'document' && values.as !== 'brief') {
    console.error(`--as: version, document or brief, not ${values.as}`);
    process.exit(2);
  }
  const onConflict = onConflictOption(values['on-conflict']);
  const asDocument = values.as !== 'version';
  const out = values.out!.replace(/\.json$/, '');
  const modes = values.modes!.split(',').filter(Boolean) as Mode[];
  const paragraphs = readSquad(values.data!);
  const edits = makeEdits(paragraphs, Number(values.edits));
  const manifest = JSON.parse(readFileSync(join(values.bundle!, 'manifest.json'), 'utf8'));
  const format = memoryFormat(manifest, manifest.memory.codec);
  const dataSha = createHash('sha256').update(readFileSync(values.data!)).digest('hex');
  const work = values.work ?? join('runs', 'eval-update', `${format}-${dataSha.slice(0, 8)}-${edits.length}${asDocument ? `-as-${values.as}` : ''}`);
  mkdirSync(work, { recursive: true });
  note(`${edits.length} edits; memory bank ${work}`);
  const running = await startService(readConfig({
    PORT: '0', HOST: '127.0.0.1', DATA_DIR: work, BUNDLE_DIR: values.bundle!, PROBE_INTERVAL_S: '0', ABSTAIN_BELOW: '-1', THREADS: values.threads!,
  }));
  try {
    const client = api(running.url);
    const dated = (p: SquadParagraph, publishedAt: string, suffix = '') => {
      const doc = toDocument(p);
      return { ...doc, id: doc.id + suffix, published_at: publishedAt };
    };
    if (asDocument) {
      await ingestAll(client, paragraphs.map((p) => dated(p, '2020-06-01T00:00:00Z')), 50, 'original documents');
      const newer = values.as === 'brief' ? edits.map((e) => ({ ...e.paragraph, context: sentenceWith(e.paragraph.context, e.new) })) : edits.map((e) => e.paragraph);
      await ingestAll(client, newer.map((p) => dated(p, '2026-06-01T00:00:00Z', '/update')), 50, 'newer documents');
    } else {
      await ingestAll(client, paragraphs.map(toDocument), 50, 'original versions');
      await ingestAll(client, edits.map((e) => toDocument(e.paragraph)), 50, 'new versions');
    }
    const settings = {
      bundle_id: manifest.bundle_id, memory_format: format, data_sha256: dataSha, edits: edits.length, max_tokens: Number(values['max-tokens']), as: values.as,
      ...(onConflict ? { on_conflict: onConflict } : {}),
    };
    const summary: Record<string, { n: number; new: number; old: number; neither: number; read_newer?: number; read_older?: number }> = {};
    for (const mode of modes) {
      const log = new ModeLog(modeLogPath(out, mode), { ...settings, mode });
      const done = log.records();
      const bar = progressBar(`update ${mode}`, edits.length);
      for (const [i, e] of edits.entries()) {
        if (!done.has(e.id)) log.append(await answerQuestion(running, client, mode, e, Number(values['max-tokens']), { onConflict }));
        bar.update(i + 1);
      }
      bar.done();
      const records = log.records();
      log.compress();
      const counts: (typeof summary)[string] = { n: 0, new: 0, old: 0, neither: 0, ...(asDocument ? { read_newer: 0, read_older: 0 } : {}) };
      for (const e of edits) {
        const r = records.get(e.id)!;
        counts.n++;
        counts[follows(r.prediction, e.new, e.old)]++;
        if (asDocument) {
          // which of the two documents the answer read (sources: document ids)
          const id = toDocument(e.paragraph).id;
          if (r.sources.includes(`${id}/update`)) counts.read_newer!++;
          if (r.sources.includes(id)) counts.read_older!++;
        }
      }
      summary[mode] = counts;
      note(`${mode}: new ${counts.new}, old ${counts.old}, neither ${counts.neither} of ${counts.n}` +
        (asDocument ? `; read the newer document ${counts.read_newer}, the older ${counts.read_older}` : ''));
      const report = {
        command: commandLine(process.argv.slice(2), 'eval:update', 'eval/update.ts'), git: STARTED_AT_REVISION, finished_at: new Date().toISOString(),
        machine: machine(), settings, rule: 'new: the normalised new value occurs in the normalised answer; old: else the old value does; neither: else',
        summary, examples: edits.slice(0, 5).map((e) => ({ question: e.question, old: e.old, new: e.new })),
      };
      mkdirSync(dirname(out) || '.', { recursive: true });
      writeFileSync(`${out}.json`, JSON.stringify(report, null, 2) + '\n');
    }
  } finally {
    await running.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
