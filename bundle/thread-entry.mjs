// Entry of every model thread (bundle/thread.ts). Plain JavaScript, because a worker thread starts
// without the parent's TypeScript loader: it registers tsx, then runs the thread's TypeScript module.
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.module);
