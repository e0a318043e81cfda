import { BundleError } from '../bundle/index.ts';
import { DataDirInUseError } from '../memory/index.ts';
import { readConfig } from './config.ts';
import { startService } from './start.ts';

// The Node entry point: the only place that reads the environment and exits the process.
try {
  const service = await startService(readConfig());
  const shutdown = async (signal: string) => {
    console.log(`${signal}: shutting down (index snapshot saved, queued jobs stay in SQLite)`);
    await service.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
} catch (err) {
  console.error(err instanceof BundleError || err instanceof DataDirInUseError ? `Cannot start: ${err.message}` : err);
  process.exit(1);
}
