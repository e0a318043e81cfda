export { IngestWorker, type IngestStage, type WorkerOptions } from './worker.ts';
