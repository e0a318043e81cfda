export { createApp } from './app.ts';
export { readConfig, configSchema, type Config } from './config.ts';
export { startService, type RunningService } from './server.ts';
export type { Services } from './services.ts';
export { sign } from './auth.ts';
