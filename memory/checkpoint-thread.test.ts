import { describe, expect, it } from 'vitest';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../tests/helpers.ts';
import { CheckpointThread } from './checkpoint-thread.ts';
import { storedMemory } from './codec.ts';
import { SqliteStore } from './sqlite-store.ts';

/** Stores `n` documents of one passage with a 1 MB memory (fp32): 256 pages of WAL each. */
function storeDocuments(store: SqliteStore, n: number, from = 0): void {
  store.upsertDocuments(Array.from({ length: n }, (_, i) => ({ id: `d${from + i}`, text: `text ${from + i}` })), 1);
  for (const job of store.claimJobs(n, 2)) {
    store.completeJob(job, [{ text: job.text, memory: storedMemory(new Float32Array(262_144).fill(job.id), 'fp32'), embedding: Float32Array.of(1, 0) }], 3);
  }
}

/**
 * A memory bank of `documents` 1 MB memories whose connection leaves checkpoints to a checkpoint thread
 * (which checkpoints only when asked here), both closed after `test`.
 */
async function withCheckpoints(documents: number, test: (store: SqliteStore, checkpoints: CheckpointThread, file: string) => Promise<void>): Promise<void> {
  const file = join(tempDir('mac-checkpoint'), 'memory.sqlite');
  const store = new SqliteStore(file, 'fp32');
  store.checkpointElsewhere(true);
  storeDocuments(store, documents);
  const checkpoints = await CheckpointThread.start(file, 60_000, () => {});
  try {
    await test(store, checkpoints, file);
  } finally {
    await checkpoints.close();
    store.close();
  }
}

describe('the checkpoint thread', () => {
  it('copies the WAL into the database file that the service connection no longer checkpoints itself', async () => {
    // 2,000 pages: SQLite's own checkpoint would have run at 1,000
    await withCheckpoints(8, async (store, checkpoints, file) => {
      const before = statSync(file).size;
      const done = await checkpoints.checkpoint();
      expect(done!.log).toBeGreaterThan(1000);
      expect(done!.checkpointed).toBe(done!.log);
      expect(statSync(file).size).toBeGreaterThan(before + 8 * 2 ** 20);
      expect(store.getPassages(store.passageIds())).toHaveLength(8);
    });
  });

  it('does not keep a deletion from emptying the WAL, whose older frames hold the deleted text', async () => {
    await withCheckpoints(40, async (store, checkpoints, file) => {
      const running = checkpoints.checkpoint(); // 10,000 pages: tens of ms on the thread
      await new Promise((r) => setTimeout(r, 2));
      expect(store.deleteDocument('d0', 4)).not.toBeNull(); // SQLite answers busy while the thread checkpoints
      expect(statSync(`${file}-wal`).size).toBe(0);
      expect((await running)!.log).toBeGreaterThan(0);
    });
  });

  it('reports when it stops, so that the service connection checkpoints again', async () => {
    const file = join(tempDir('mac-checkpoint'), 'memory.sqlite');
    const store = new SqliteStore(file, 'fp32');
    const stopped: string[] = [];
    const checkpoints = await CheckpointThread.start(file, 60_000, (why) => stopped.push(why));
    await (checkpoints as any).thread.close(); // the thread dies under it
    expect(await checkpoints.checkpoint()).toBeNull();
    expect(stopped).toEqual([expect.stringMatching(/checkpoint thread failed/)]);
    expect(await checkpoints.checkpoint()).toBeNull(); // once
    expect(stopped).toHaveLength(1);
    await checkpoints.close();
    store.close();
  });
});
