import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { MODES, type Mode, type QuestionRecord } from './modes.ts';

/** A mode's log in a report folder. */
export const modeLogPath = (out: string, mode: Mode) => join(out, `${mode}.jsonl`);

/** The modes whose answers a report folder holds (plain or gzipped), in file-name order. */
export function recordedModes(out: string): Mode[] {
  const names = (existsSync(out) ? readdirSync(out) : []).map((f) => f.replace(/\.jsonl(\.gz)?$/, ''));
  return [...new Set(names)].sort().filter((name): name is Mode => (MODES as readonly string[]).includes(name));
}

/**
 * One mode's answers, one JSON line per question after a header line holding the settings the answers
 * depend on. Appending as it goes makes a run resumable; a header that no longer matches the settings
 * moves the old file aside (`.stale`), so answers of different settings are never mixed (as `fresh` does always). A finished log is
 * stored gzipped (`compress`: answer logs are kept as results, a sixth of the size) and opened again as
 * plain text to resume. A read-only log (`--report-only`) changes nothing on disk: it reads what is there
 * and says where its settings differ.
 */
export class ModeLog {
  /** `fresh`: set recorded answers aside even when their settings match (a rerun after a code change the settings do not name). */
  constructor(private readonly path: string, settings: Record<string, unknown>, private readonly opts: { readOnly?: boolean; fresh?: boolean; warn?: (message: string) => void } = {}) {
    const header = JSON.stringify({ settings });
    const text = readLogText(path);
    const first = text === null ? null : text.split('\n', 1)[0];
    if (opts.readOnly) {
      const differ = first === null ? [] : differingKeys(settings, headerSettings(first));
      if (differ.length) opts.warn?.(`${path} was answered with other settings (${differ.join(', ')}): reported as recorded`);
      return;
    }
    mkdirSync(dirname(path), { recursive: true });
    if (first === header && !opts.fresh) {
      if (!existsSync(path)) writeFileSync(path, text!); // resumed from the .gz, which stays until compress
      return;
    }
    if (text !== null) {
      writeFileSync(`${path}.stale`, text); // answers of other settings, set aside whole
      rmSync(`${path}.gz`, { force: true });
    }
    writeFileSync(path, header + '\n');
  }

  records(): Map<string, QuestionRecord> {
    const text = readLogText(this.path);
    if (text === null) return new Map();
    const lines = text.split('\n').slice(1).filter((l) => l.trim());
    const out = new Map<string, QuestionRecord>();
    for (const line of lines) {
      try {
        const r = JSON.parse(line) as QuestionRecord;
        out.set(r.id, r);
      } catch {
        // a line cut by a crash mid-write: that question is asked again
      }
    }
    return out;
  }

  append(record: QuestionRecord): void {
    appendFileSync(this.path, JSON.stringify(record) + '\n');
  }

  /**
   * The run is over: the log becomes `<path>.gz`, written whole before the plain file goes, and left as it
   * was where its text has not changed (a rerun that asked nothing new leaves committed results untouched).
   */
  compress(): void {
    if (this.opts.readOnly || !existsSync(this.path)) return;
    const text = readFileSync(this.path);
    const gz = `${this.path}.gz`;
    if (!existsSync(gz) || !gunzipSync(readFileSync(gz)).equals(text)) {
      writeFileSync(`${gz}.tmp`, gzipSync(text, { level: 9 }));
      renameSync(`${gz}.tmp`, gz);
    }
    unlinkSync(this.path);
  }
}

/** An answer log's text: `path` while its run goes on, `path.gz` once it is over; null where neither is. */
export function readLogText(path: string): string | null {
  if (existsSync(path)) return readFileSync(path, 'utf8');
  if (existsSync(`${path}.gz`)) return gunzipSync(readFileSync(`${path}.gz`)).toString('utf8');
  return null;
}

function headerSettings(line: string): Record<string, unknown> {
  try {
    return (JSON.parse(line) as { settings?: Record<string, unknown> }).settings ?? {};
  } catch {
    return {};
  }
}

/** `key: recorded -> wanted` for every setting that differs. */
function differingKeys(wanted: Record<string, unknown>, recorded: Record<string, unknown>): string[] {
  const keys = [...new Set([...Object.keys(wanted), ...Object.keys(recorded)])];
  return keys
    .filter((k) => JSON.stringify(wanted[k]) !== JSON.stringify(recorded[k]))
    .map((k) => `${k}: ${JSON.stringify(recorded[k])} -> ${JSON.stringify(wanted[k])}`);
}
