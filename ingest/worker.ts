import type { EncodedPassage, Encoder } from '../encoder/index.ts';
import type { Job, MemoryStore, NewPassage, VectorIndex } from '../memory/index.ts';

/** Lets the event loop serve what waits (requests, timers) before going on. */
const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Where a worker round spends its time; `encode` is the forward passes that make embeddings and memories. */
export type IngestStage = 'split' | 'encode' | 'store' | 'index';

export interface WorkerOptions {
  /** Jobs claimed per round; their passages are encoded one after another, then stored job by job. */
  batchJobs: number;
  maxAttempts: number;
  idleMs: number;
  onIndexed?: (job: Job, passages: number, ms: number) => void;
  /** Seconds one round spent in one stage, reported once per stage per round. */
  onStage?: (stage: IngestStage, seconds: number) => void;
  onError?: (job: Job, error: Error) => void;
}

/**
 * The background half of ingestion: claims durably queued jobs, encodes their passages (one forward pass
 * each, no gradient steps), stores memories in SQLite and only then adds their embeddings to the index.
 */
export class IngestWorker {
  private running = false;
  private loop: Promise<void> | null = null;
  private wake: (() => void) | null = null;
  /** Callers waiting for a version's job to finish a round, keyed `id@version`. */
  private readonly waiting = new Map<string, Set<() => void>>();

  constructor(
    private readonly deps: { store: MemoryStore; index: VectorIndex; encoder: Encoder },
    private readonly options: WorkerOptions,
  ) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    this.deps.store.requeueRunning(); // a crash mid-job leaves it `running`: do it again
    this.loop = this.run();
  }

  /** New work arrived: skip the idle wait. */
  notify(): void {
    this.wake?.();
  }

  /**
   * Resolves once a job for this version has finished a round (stored, skipped as superseded, or failed:
   * read the version's status to tell which), or after `ms` with false.
   */
  settled(documentId: string, version: number, ms: number): Promise<boolean> {
    const key = `${documentId}@${version}`;
    return new Promise((resolve) => {
      const waiters = this.waiting.get(key) ?? new Set();
      this.waiting.set(key, waiters);
      const done = (ok: boolean) => {
        clearTimeout(timer);
        waiters.delete(finish);
        if (!waiters.size) this.waiting.delete(key);
        resolve(ok);
      };
      const finish = () => done(true);
      const timer = setTimeout(() => done(false), ms);
      waiters.add(finish);
    });
  }

  private finished(job: Job): void {
    for (const finish of [...(this.waiting.get(`${job.documentId}@${job.version}`) ?? [])]) finish();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.notify();
    await this.loop;
  }

  /** Processes queued jobs until the queue is empty; returns how many were processed. */
  async drain(): Promise<number> {
    let total = 0;
    for (;;) {
      const n = await this.round();
      if (!n) return total;
      total += n;
    }
  }

  private async run(): Promise<void> {
    while (this.running) {
      const n = await this.round();
      if (!n && this.running) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, this.options.idleMs);
          this.wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        this.wake = null;
      }
    }
  }

  private async round(): Promise<number> {
    const { store, index, encoder } = this.deps;
    const jobs = store.claimJobs(this.options.batchJobs, Date.now());
    if (!jobs.length) return 0;
    const started = performance.now();
    const stages = { split: 0, encode: 0, store: 0, index: 0 };
    const timed = <T>(stage: IngestStage, fn: () => T): T => {
      const t0 = performance.now();
      try {
        return fn();
      } finally {
        stages[stage] += performance.now() - t0;
      }
    };
    let split: string[][];
    const t0 = performance.now();
    try {
      split = await encoder.splitDocuments(jobs.map((job) => job.text));
    } catch (err) {
      for (const job of jobs) this.fail(job, err as Error);
      return jobs.length;
    }
    const t1 = performance.now();
    stages.split += t1 - t0;
    const encoded = await this.encodeEach(split);
    stages.encode += performance.now() - t1;
    for (const [i, job] of jobs.entries()) {
      const result = encoded[i];
      if (result instanceof Error) {
        this.fail(job, result);
        continue;
      }
      const passages: NewPassage[] = split[i].map((text, j) => ({ text, ...result[j] }));
      try {
        // Storing runs on the event loop, so requests get their turn between one document and the next.
        // A document is stored and indexed in one go: a deletion or a newer version arriving in between
        // would find passages not yet indexed (then indexed after it), and an index snapshot taken in
        // between would record as indexed, by its watermark, passages that are not.
        await turn();
        const done = timed('store', () => store.completeJob(job, passages, Date.now()));
        // SQLite first, index second: a crash in between is repaired by catch-up at start-up.
        timed('index', () => {
          for (const id of done.removed) index.remove(id);
          for (const p of done.added) index.add(p.id, p.embedding);
        });
        this.options.onIndexed?.(job, passages.length, performance.now() - started);
        this.finished(job);
      } catch (err) {
        this.fail(job, err as Error);
      }
    }
    for (const [stage, ms] of Object.entries(stages)) this.options.onStage?.(stage as IngestStage, ms / 1000);
    return jobs.length;
  }

  /**
   * Each document's encoded passages, in one call for the round; where that fails (one passage the models
   * refuse), each document alone, so that only the document at fault fails, not the others of its round.
   */
  private async encodeEach(split: string[][]): Promise<(EncodedPassage[] | Error)[]> {
    const { encoder } = this.deps;
    try {
      const all = await encoder.encodePassages(split.flat());
      let offset = 0;
      return split.map((passages) => all.slice(offset, (offset += passages.length)));
    } catch {
      const each: (EncodedPassage[] | Error)[] = [];
      for (const passages of split) each.push(await encoder.encodePassages(passages).catch((err: Error) => err));
      return each;
    }
  }

  private fail(job: Job, error: Error): void {
    this.deps.store.failJob(job, error.message, Date.now(), this.options.maxAttempts);
    this.options.onError?.(job, error);
    this.finished(job);
  }
}
