import { execFileSync } from 'node:child_process';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';

export type Cell = string | number | boolean | null;

export interface Table {
  title?: string;
  columns: string[];
  rows: Cell[][];
}

export interface Target {
  name: string;
  value: Cell;
  target: string;
  met: boolean | null;
}

/** What each section hands back: raw numbers for the JSON, tables and notes for the markdown. */
export interface Section {
  name: string;
  data: Record<string, unknown>;
  tables: Table[];
  targets: Target[];
  notes: string[];
}

export interface Meta {
  started_at: string;
  command: string;
  node: string;
  git: string | null;
  bundle_dir: string;
  bundle_id: string | null;
  machine: { cpu: string; isa: string[]; onnxruntime: string; cores: number; memory_gib: number; free_memory_gib: number; os: string; arch: string; load_average: number[] };
}

/** The onnxruntime-node package the runtime loaded (its CPU execution provider runs every model). */
function onnxruntimeVersion(): string {
  try {
    return `onnxruntime-node ${createRequire(import.meta.url)('onnxruntime-node/package.json').version}, CPU execution provider`;
  } catch {
    return 'unknown';
  }
}

/** The vector ISA extensions that decide kernel speed (machines differ from run to run). */
function isaFlags(): string[] {
  try {
    const flags = readFileSync('/proc/cpuinfo', 'utf8').match(/^flags\s*:\s*(.*)$/m)?.[1].split(/\s+/) ?? [];
    return flags.filter((f) => /^(avx2|fma|f16c|avx512(f|bw|vl|_vnni|_bf16|_fp16)|avx_vnni|amx_(bf16|int8|tile))$/.test(f)).sort();
  } catch {
    return [];
  }
}

export function machine(): Meta['machine'] {
  const cpus = os.cpus();
  const gib = (b: number) => Number((b / 2 ** 30).toFixed(1));
  return {
    cpu: cpus[0]?.model.trim() ?? 'unknown', isa: isaFlags(), onnxruntime: onnxruntimeVersion(), cores: cpus.length, memory_gib: gib(os.totalmem()), free_memory_gib: gib(os.freemem()),
    os: `${os.type()} ${os.release()}`, arch: os.arch(), load_average: os.loadavg().map((x) => Number(x.toFixed(2))),
  };
}

/** The commit, marked dirty when the working tree differs: numbers belong to the code that made them. */
export function gitRevision(): string | null {
  try {
    const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    return dirty ? `${head}-dirty` : head;
  } catch {
    return null;
  }
}

/** How the run was started, as something a reader can paste. */
export function commandLine(argv: string[], script = 'bench', entry = 'bench/main.ts'): string {
  const quote = (a: string) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`);
  const args = argv.map(quote).join(' ');
  return process.env.npm_lifecycle_event === script ? `npm run ${script} -- ${args}` : `node --import tsx ${entry} ${args}`;
}

export function writeReport(jsonPath: string, meta: Meta, sections: Section[], failures: Record<string, string>, finished: boolean) {
  const json = {
    meta, finished,
    sections: Object.fromEntries(sections.map((s) => [s.name, { ...s.data, targets: s.targets }])),
    failures,
  };
  atomicWrite(jsonPath, `${JSON.stringify(json, null, 2)}\n`);
  atomicWrite(markdownPath(jsonPath), markdown(meta, sections, failures, finished));
}

export const markdownPath = (jsonPath: string) => (jsonPath.endsWith('.json') ? jsonPath.slice(0, -5) : jsonPath) + '.md';

// Readers (and a killed run) never see a half-written file.
function atomicWrite(path: string, text: string) {
  writeFileSync(`${path}.tmp`, text);
  renameSync(`${path}.tmp`, path);
}

function markdown(meta: Meta, sections: Section[], failures: Record<string, string>, finished: boolean): string {
  const m = meta.machine;
  const out = [
    '# MAC service benchmark', '',
    `- command: \`${meta.command}\``,
    `- started: ${meta.started_at}${finished ? '' : ' (incomplete: the run stopped or is still going)'}`,
    `- machine: ${m.cpu} (${m.isa.join(' ') || 'no AVX2'}), ${m.cores} cores, ${m.onnxruntime}, ${m.memory_gib} GiB memory (${m.free_memory_gib} GiB free at start), ${m.os} ${m.arch}, load average at start ${m.load_average.join(' ')}`,
    `- node ${meta.node}, commit ${meta.git ?? 'unknown'}`,
    `- bundle: ${meta.bundle_id ?? 'unknown'} (${meta.bundle_dir})`, '',
  ];
  const targets = sections.flatMap((s) => s.targets.map((t) => [s.name, t.name, t.value, t.target, t.met === null ? 'n/a' : t.met ? 'yes' : 'no']));
  if (targets.length) out.push('## Targets', '', ...table({ columns: ['section', 'measure', 'value', 'target', 'met'], rows: targets }), '');
  for (const s of sections) {
    out.push(`## ${s.name}`, '');
    for (const t of s.tables) {
      if (t.title) out.push(`**${t.title}**`, '');
      out.push(...table(t), '');
    }
    for (const n of s.notes) out.push(`- ${n}`);
    if (s.notes.length) out.push('');
  }
  for (const [name, message] of Object.entries(failures)) out.push(`## ${name}: failed`, '', '```', message, '```', '');
  return out.join('\n');
}

function table(t: Table): string[] {
  const cell = (c: Cell) => (c === null ? '–' : typeof c === 'number' ? String(Number(c.toFixed(3))) : String(c)).replace(/\|/g, '\\|');
  return [`| ${t.columns.join(' | ')} |`, `|${t.columns.map(() => '---').join('|')}|`, ...t.rows.map((r) => `| ${r.map(cell).join(' | ')} |`)];
}
