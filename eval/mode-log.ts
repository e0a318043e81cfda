import { appendFileSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { QuestionRecord } from './modes.ts';

/**
 * One mode's answers, one JSON line per question after a header line holding the settings the answers
 * depend on. Appending as it goes makes a run resumable; a header that no longer matches the settings
 * moves the old file aside (`.stale`), so answers of different settings are never mixed. A read-only log
 * (`--report-only`) changes nothing on disk: it reads what is there and says where its settings differ.
 */
export class ModeLog {
  constructor(private readonly path: string, settings: Record<string, unknown>, opts: { readOnly?: boolean; warn?: (message: string) => void } = {}) {
    const header = JSON.stringify({ settings });
    const first = existsSync(path) ? readFileSync(path, 'utf8').split('\n', 1)[0] : null;
    if (opts.readOnly) {
      const differ = first === null ? [] : differingKeys(settings, headerSettings(first));
      if (differ.length) opts.warn?.(`${path} was answered with other settings (${differ.join(', ')}): reported as recorded`);
      return;
    }
    mkdirSync(dirname(path), { recursive: true });
    if (first === header) return;
    if (first !== null) renameSync(path, `${path}.stale`);
    writeFileSync(path, header + '\n');
  }

  records(): Map<string, QuestionRecord> {
    if (!existsSync(this.path)) return new Map();
    const lines = readFileSync(this.path, 'utf8').split('\n').slice(1).filter((l) => l.trim());
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
