import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { ModeLog, readLogText, recordedModes } from './mode-log.ts';
import type { QuestionRecord } from './modes.ts';

const record = (id: string) => ({ id, f1: 1 }) as unknown as QuestionRecord;

describe('ModeLog', () => {
  it('resumes a log answered with the same settings', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'mode-log-')), 'rag.jsonl');
    new ModeLog(path, { rag_top_k: 1 }).append(record('q1'));
    expect([...new ModeLog(path, { rag_top_k: 1 }).records().keys()]).toEqual(['q1']);
  });

  it('moves a log of other settings aside and starts afresh', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'mode-log-')), 'rag.jsonl');
    new ModeLog(path, { rag_top_k: 3 }).append(record('q1'));
    expect(new ModeLog(path, { rag_top_k: 1 }).records().size).toBe(0);
    expect(readFileSync(`${path}.stale`, 'utf8')).toContain('"q1"');
  });

  it('moves a finished (gzipped) log of other settings aside too, leaving no .gz of them behind', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'mode-log-')), 'rag.jsonl');
    const old = new ModeLog(path, { rag_top_k: 3 });
    old.append(record('q1'));
    old.compress();
    expect(new ModeLog(path, { rag_top_k: 1 }).records().size).toBe(0);
    expect(readFileSync(`${path}.stale`, 'utf8')).toContain('"q1"');
    expect(existsSync(`${path}.gz`)).toBe(false);
  });

  it('fresh: sets aside even a finished log of the same settings (a rerun after a code change)', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'mode-log-')), 'rag.jsonl');
    const old = new ModeLog(path, { rag_top_k: 1 });
    old.append(record('q1'));
    old.compress();
    expect(new ModeLog(path, { rag_top_k: 1 }, { fresh: true }).records().size).toBe(0);
    expect(readFileSync(`${path}.stale`, 'utf8')).toContain('"q1"');
    expect(existsSync(`${path}.gz`)).toBe(false);
  });

  it('read-only: reports what is recorded, says which settings differ, and changes nothing', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'mode-log-')), 'rag.jsonl');
    new ModeLog(path, { rag_top_k: null, max_tokens: 16 }).append(record('q1'));
    const before = readFileSync(path, 'utf8');
    const warnings: string[] = [];
    const log = new ModeLog(path, { rag_top_k: 1, max_tokens: 16 }, { readOnly: true, warn: (m) => warnings.push(m) });
    expect([...log.records().keys()]).toEqual(['q1']);
    expect(warnings).toEqual([`${path} was answered with other settings (rag_top_k: null -> 1): reported as recorded`]);
    expect(readFileSync(path, 'utf8')).toBe(before);
    expect(existsSync(`${path}.stale`)).toBe(false);
  });

  it('a finished log is stored gzipped, read as it was, and reopened as plain text to resume', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'mode-log-')), 'rag.jsonl');
    const log = new ModeLog(path, { rag_top_k: 1 });
    log.append(record('q1'));
    log.compress();
    expect(existsSync(path)).toBe(false);
    expect(gunzipSync(readFileSync(`${path}.gz`)).toString('utf8')).toContain('"q1"');
    expect([...new ModeLog(path, { rag_top_k: 1 }, { readOnly: true }).records().keys()]).toEqual(['q1']);
    expect(existsSync(path)).toBe(false);
    const packed = readFileSync(`${path}.gz`);
    new ModeLog(path, { rag_top_k: 1 }).compress();
    expect(readFileSync(`${path}.gz`).equals(packed)).toBe(true); // nothing new: the file is left as it was
    const resumed = new ModeLog(path, { rag_top_k: 1 });
    resumed.append(record('q2'));
    expect([...resumed.records().keys()]).toEqual(['q1', 'q2']);
    resumed.compress();
    expect([...new ModeLog(path, { rag_top_k: 1 }, { readOnly: true }).records().keys()]).toEqual(['q1', 'q2']);
    expect(readLogText(path)).toBe(gunzipSync(readFileSync(`${path}.gz`)).toString('utf8'));
  });

  it('read-only on a mode never asked: no answers, no file', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'mode-log-')), 'none', 'rag.jsonl');
    expect(new ModeLog(path, {}, { readOnly: true }).records().size).toBe(0);
    expect(existsSync(path)).toBe(false);
  });

  it('finds the modes a report folder holds, plain or gzipped, in file-name order', () => {
    const out = mkdtempSync(join(tmpdir(), 'mode-log-'));
    new ModeLog(join(out, 'oracle+grounded.jsonl'), {}).append(record('q1'));
    const rag = new ModeLog(join(out, 'rag+grounded.jsonl'), {});
    rag.append(record('q1'));
    rag.compress();
    new ModeLog(join(out, 'mac.jsonl.stale'), {}).append(record('q1'));
    expect(recordedModes(out)).toEqual(['oracle+grounded', 'rag+grounded']);
    expect(recordedModes(join(out, 'absent'))).toEqual([]);
  });
});
