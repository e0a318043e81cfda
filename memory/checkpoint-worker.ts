import Database from 'better-sqlite3';
import { serveCalls, threadData } from '../bundle/thread.ts';

/** The checkpoint thread (memory/checkpoint-thread.ts): its own connection to the memory bank, which copies the WAL into the database file. */
const db = new Database(threadData.path as string, { fileMustExist: true });
db.pragma('busy_timeout = 5000');
serveCalls<'checkpoint'>(async () => {
  // PASSIVE: copies what no reader still needs, and waits for no reader or writer.
  const [row] = db.pragma('wal_checkpoint(PASSIVE)') as { busy: number; log: number; checkpointed: number }[];
  return { result: row };
});
