import type { FreshnessResponse } from './schemas.ts';

const esc = (s: unknown) => String(s ?? '—').replace(/[&<>"]/g, (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[ch]!);

/** A plain status page for people; machines read /v1/freshness and /metrics. */
export function statusPage(f: FreshnessResponse, bundleId: string): string {
  const row = (k: string, v: unknown) => `<tr><th>${esc(k)}</th><td>${esc(v)}</td></tr>`;
  const sources = f.sources.map((s) => `<tr><td>${esc(s.source)}</td><td>${s.documents}</td><td>${esc(s.last_received_at)}</td><td>${s.stale ? 'STALE' : 'fresh'}</td></tr>`).join('');
  return `<!doctype html><html><head><meta charset="utf-8"><title>Memory status</title>
<style>body{font:14px system-ui;margin:2em;max-width:60em}table{border-collapse:collapse;margin-bottom:1.5em}th,td{padding:.25em .8em;border-bottom:1px solid #ddd;text-align:left}</style></head>
<body><h1>Memory status</h1><p>Bundle ${esc(bundleId)} · ${esc(f.generated_at)}</p>
<table>${row('documents', f.documents.total)}${row('passages', f.passages)}${row('queue depth', f.queue.depth)}${row('failed jobs', f.queue.failed)}
${row('newest knowledge', f.knowledge.newest_published_at)}${row('last indexed', f.knowledge.last_indexed_at)}
${row('ingestion lag p50 / p99 (s)', `${f.lag_seconds.received_to_indexed.p50} / ${f.lag_seconds.received_to_indexed.p99}`)}
${row('uptake F1 with / without memory', `${f.uptake.mean_f1_with_memory} / ${f.uptake.mean_f1_without_memory} (${f.uptake.probes} probes)`)}</table>
<h2>Sources (SLA ${f.sla_seconds} s)</h2><table><tr><th>source</th><th>documents</th><th>last received</th><th></th></tr>${sources}</table></body></html>`;
}
