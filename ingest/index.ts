export { IngestWorker, type WorkerOptions } from './worker.ts';
