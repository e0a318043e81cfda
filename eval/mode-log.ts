import { appendFileSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { QuestionRecord } from './modes.ts';

/**
 * One mode's answers, one JSON line per question after a header line holding the settings the answers
 * depend on. Appending as it goes makes a run resumable; a header that no longer matches the settings
 * moves the old file aside (`.stale`), so answers of different settings are never mixed.
 */
export class ModeLog {
  constructor(private readonly path: string, settings: Record<string, unknown>) {
    mkdirSync(dirname(path), { recursive: true });
    const header = JSON.stringify({ settings });
    if (existsSync(path)) {
      const first = readFileSync(path, 'utf8').split('\n', 1)[0];
      if (first === header) return;
      renameSync(path, `${path}.stale`);
    }
    writeFileSync(path, header + '\n');
  }

  records(): Map<string, QuestionRecord> {
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
