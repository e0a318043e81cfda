// Entry of the encoding thread (encoder/threaded-encoder.ts). Plain JavaScript, because a worker thread
// starts without the parent's TypeScript loader: it registers tsx, then runs the TypeScript half.
import { register } from 'tsx/esm/api';

register();
await import('./encode-worker.ts');
