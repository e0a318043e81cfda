import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';

/** The file whose lock says who owns a data directory, and its note of who took it. */
export const LOCK_FILE = 'owner.lock';

/** Another process owns the data directory. */
export class DataDirInUseError extends Error {}

export interface DataLock {
  release(): void;
}

/**
 * Takes a data directory for this process alone: the service (two would each keep an index that misses
 * what the other stores), `npm run reindex` or `npm run restore` (they rewrite the passages, the bank or the
 * index a running service serves). `npm run backup` reads a live bank and takes no lock.
 *
 * The lock is SQLite's own exclusive lock on DATA_DIR/owner.lock, held by an open transaction: the operating
 * system drops it when the process ends however it ends (kill -9, a container stopped), so no stale lock
 * outlives a crash, and a process restarted with the same pid is not mistaken for the old one.
 * Throws, naming the holder, when another process has it.
 */
export function lockDataDir(dir: string, holder: string): DataLock {
  const path = join(dir, LOCK_FILE);
  const db = new Database(path, { timeout: 0 });
  try {
    db.pragma('locking_mode = EXCLUSIVE');
    db.exec('BEGIN EXCLUSIVE');
  } catch (err) {
    db.close();
    if ((err as { code?: string }).code !== 'SQLITE_BUSY') throw err;
    throw new DataDirInUseError(`${dir} is in use by ${readNote(path) ?? 'another process'}: one process owns a data directory. ` +
      'Stop it first, or point DATA_DIR at another folder.');
  }
  writeFileSync(`${path}.json`, JSON.stringify({ holder, pid: process.pid, since: new Date().toISOString() }));
  return {
    release() {
      if (db.open) db.close();
    },
  };
}

/** For the command-line tools: the lock, or, where another process holds it, why on stderr and exit code 1. */
export function lockDataDirOrExit(dir: string, holder: string): DataLock {
  try {
    return lockDataDir(dir, holder);
  } catch (err) {
    if (!(err instanceof DataDirInUseError)) throw err;
    console.error(err.message);
    process.exit(1);
  }
}

/** Who took the lock, as its note says ("the service (pid 12, since ...)"), or null without a note. */
function readNote(path: string): string | null {
  try {
    const note = JSON.parse(readFileSync(`${path}.json`, 'utf8')) as { holder: string; pid: number; since: string };
    return `${note.holder} (pid ${note.pid}, since ${note.since})`;
  } catch {
    return null;
  }
}
