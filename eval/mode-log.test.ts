import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ModeLog } from './mode-log.ts';
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

  it('read-only on a mode never asked: no answers, no file', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'mode-log-')), 'none', 'rag.jsonl');
    expect(new ModeLog(path, {}, { readOnly: true }).records().size).toBe(0);
    expect(existsSync(path)).toBe(false);
  });
});
