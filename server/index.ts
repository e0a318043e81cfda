// The Node entry: one process with the models (onnxruntime), the memory bank (SQLite) and the index (hnswlib).
export { readConfig, configSchema, paths, type Config } from './config.ts';
export { startService, type RunningService } from './start.ts';
