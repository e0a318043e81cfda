export { IngestWorker, type IngestStage, type WorkerOptions } from './worker.ts';
export { splitAnew, splitOtherwise } from './resplit.ts';
