import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { paths, readConfig } from '../server/index.ts';
import { lockDataDirOrExit } from './data-lock.ts';

const USAGE = `npm run backup -- DIR     a consistent copy of DATA_DIR's memory bank, while the service runs
npm run restore -- DIR [--force]   brings a backup back into DATA_DIR (stop the service first)

The copy is SQLite's online backup (one consistent snapshot of documents, versions, passages and their
memories) plus the vector index's last snapshot. The index may be older than the database: at start-up
the service catches it up from SQLite, as after a crash.`;

const [command, dir, ...rest] = process.argv.slice(2);
if (!dir || (command !== 'backup' && command !== 'restore')) {
  console.error(USAGE);
  process.exit(2);
}
const p = paths(readConfig());
const files = { database: 'memory.sqlite', index: 'index.hnsw', meta: 'index.hnsw.meta.json' };

if (command === 'backup') {
  if (!existsSync(p.database)) {
    console.error(`No memory bank at ${p.database}; set DATA_DIR.`);
    process.exit(1);
  }
  mkdirSync(dir, { recursive: true });
  // The index snapshot is replaced by rename, index first: copying its metadata first never pairs a
  // watermark with an older index (a newer index is fine; catch-up adds nothing it already has).
  const hasIndex = existsSync(`${p.index}.meta.json`) && existsSync(p.index);
  if (hasIndex) {
    copyFileSync(`${p.index}.meta.json`, join(dir, files.meta));
    copyFileSync(p.index, join(dir, files.index));
  }
  const db = new Database(p.database, { readonly: true, fileMustExist: true });
  const started = performance.now();
  await db.backup(join(dir, files.database), {
    progress: ({ totalPages, remainingPages }) => {
      process.stderr.write(`\rbackup ${(100 * (1 - remainingPages / Math.max(totalPages, 1))).toFixed(0)}%`);
      return 256;
    },
  });
  const count = (sql: string) => (db.prepare(sql).get() as { n: number }).n;
  const summary = {
    created_at: new Date().toISOString(), from: p.database,
    documents: count("SELECT COUNT(*) AS n FROM documents WHERE status != 'deleted'"), passages: count('SELECT COUNT(*) AS n FROM passages'),
    index_snapshot: hasIndex,
  };
  db.close();
  writeFileSync(join(dir, 'backup.json'), JSON.stringify(summary, null, 2));
  console.error(`\rbackup of ${summary.documents} documents, ${summary.passages} passages -> ${dir} in ${((performance.now() - started) / 1000).toFixed(1)} s`);
} else {
  if (!existsSync(join(dir, files.database)) || !existsSync(join(dir, 'backup.json'))) {
    console.error(`${dir} holds no backup (memory.sqlite and backup.json): make one with \`npm run backup -- DIR\`.`);
    process.exit(1);
  }
  if (existsSync(p.database) && !rest.includes('--force')) {
    console.error(`${p.database} exists: restoring replaces it. Stop the service, then rerun with --force.`);
    process.exit(1);
  }
  mkdirSync(readConfig().DATA_DIR, { recursive: true });
  const lock = lockDataDirOrExit(readConfig().DATA_DIR, 'npm run restore');
  // The old bank's write-ahead log and index belong to the old database: they go with it.
  for (const stale of [`${p.database}-wal`, `${p.database}-shm`, p.index, `${p.index}.meta.json`]) rmSync(stale, { force: true });
  copyFileSync(join(dir, files.database), p.database);
  if (existsSync(join(dir, files.index)) && existsSync(join(dir, files.meta))) {
    copyFileSync(join(dir, files.index), p.index);
    copyFileSync(join(dir, files.meta), `${p.index}.meta.json`);
  }
  const summary = JSON.parse(readFileSync(join(dir, 'backup.json'), 'utf8'));
  lock.release();
  console.error(`restored ${summary.documents} documents, ${summary.passages} passages (backup of ${summary.created_at}) -> ${p.database}`);
}
