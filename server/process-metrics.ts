import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { Metrics } from '../app/index.ts';

/**
 * The Node process's own metrics, under the names Prometheus client libraries use. Written here rather than
 * with prom-client because the registry (app/metrics.ts) is shared with the Worker edge, where prom-client's
 * Node APIs (perf_hooks, v8, /proc) do not exist; these few read process and perf_hooks directly.
 */
export function registerProcessMetrics(metrics: Metrics): () => void {
  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();
  const startedAt = Date.now() / 1000 - process.uptime();
  metrics.gauge('process_cpu_seconds_total', 'User and system CPU time spent, in seconds', () => {
    const { user, system } = process.cpuUsage();
    return (user + system) / 1e6;
  }, 'counter');
  metrics.gauge('process_resident_memory_bytes', 'Resident memory size in bytes', () => process.memoryUsage.rss());
  metrics.gauge('process_start_time_seconds', 'Start time of the process since the unix epoch, in seconds', () => startedAt);
  metrics.gauge('nodejs_heap_size_used_bytes', 'V8 heap in use, in bytes', () => process.memoryUsage().heapUsed);
  metrics.gauge('nodejs_eventloop_lag_seconds', 'Event loop delay since the last scrape, by quantile', () => {
    const quantiles: [Record<string, string>, number][] = [0.5, 0.99].map((q) => [{ quantile: String(q) }, loop.percentile(q * 100) / 1e9]);
    quantiles.push([{ quantile: 'max' }, loop.max / 1e9]);
    loop.reset();
    return quantiles;
  });
  return () => loop.disable();
}
