import type { FreshnessResponse } from './schemas.ts';

const esc = (s: unknown) => String(s ?? '—').replace(/[&<>"']/g, (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[ch]!);

/** "3 min ago", in a <time> whose title is the exact instant. */
export function ago(at: string | null, now: number): string {
  if (!at) return '—';
  const s = Math.max(0, (now - Date.parse(at)) / 1000);
  const text = s < 60 ? `${Math.round(s)} s ago` : s < 3600 ? `${Math.round(s / 60)} min ago` : s < 86_400 ? `${(s / 3600).toFixed(1)} h ago` : `${(s / 86_400).toFixed(1)} d ago`;
  return `<time datetime="${esc(at)}" title="${esc(at)}">${text}</time>`;
}

/** 24 hourly bars (SVG, no script): the value per hour, its maximum labelled. */
function bars(id: string, label: string, values: (number | null)[], unit: string): string {
  const w = 480, h = 80, gap = 2;
  const max = Math.max(1e-9, ...values.map((v) => v ?? 0));
  const bw = w / values.length - gap;
  const rects = values.map((v, i) => {
    const bh = v ? Math.max(1, (h * v) / max) : 0;
    return `<rect x="${(i * (bw + gap)).toFixed(1)}" y="${(h - bh).toFixed(1)}" width="${bw.toFixed(1)}" height="${bh.toFixed(1)}"><title>${i === values.length - 1 ? "this hour" : `${values.length - 1 - i} h ago`}: ${v ?? '—'} ${unit}</title></rect>`;
  }).join('');
  const peak = Math.max(...values.map((v) => v ?? 0));
  return `<figure id="${id}"><figcaption>${esc(label)} <span class="muted">(last 24 h, peak ${Number(peak.toFixed(2))} ${esc(unit)})</span></figcaption>
<svg role="img" aria-label="${esc(label)}" viewBox="0 0 ${w} ${h}" width="${w}" height="${h}">${rects}</svg></figure>`;
}

/**
 * The status page for people (machines read /v1/freshness and /metrics). It refreshes itself every 30 s.
 * `detail: false` is the view without a key when keys are configured: aggregate health only, never
 * source names, document ids or error texts.
 */
export function statusPage(f: FreshnessResponse, bundleId: string, detail: boolean, now = Date.parse(f.generated_at)): string {
  const card = (k: string, v: string, warn = false) => `<div class="card${warn ? ' warn' : ''}"><div class="muted">${esc(k)}</div><div class="value">${v}</div></div>`;
  const lag = f.lag_seconds.received_to_indexed;
  const stale = f.sources.filter((s) => s.stale).length;
  const cards = [
    card('documents', esc(f.documents.total)),
    card('passages', esc(f.passages)),
    card('waiting to be indexed', `${esc(f.queue.depth)}${f.queue.oldest_queued_at ? ` <span class="muted">oldest ${ago(f.queue.oldest_queued_at, now)}</span>` : ''}`, f.queue.depth > 0 && !!f.queue.oldest_queued_at && now - Date.parse(f.queue.oldest_queued_at) > 600_000),
    card('failed', esc(f.queue.failed), f.queue.failed > 0),
    card('ingestion lag p50 / p99', `${esc(lag.p50)} s / ${esc(lag.p99)} s`),
    card('last indexed', ago(f.knowledge.last_indexed_at, now)),
    card('newest knowledge', ago(f.knowledge.newest_published_at, now)),
    card('stale sources', esc(stale), stale > 0),
  ].join('');
  const charts = bars('chart-indexed', 'versions indexed per hour', f.timeline.map((t) => t.indexed), 'versions')
    + bars('chart-lag', 'mean ingestion lag per hour', f.timeline.map((t) => t.mean_lag_seconds), 's')
    + (f.timeline.some((t) => t.answers !== null) ? bars('chart-answers', 'answers per hour', f.timeline.map((t) => t.answers), 'answers') : '');
  const u = f.uptake;
  const uptake = `<p id="uptake">Uptake: questions made from recently indexed documents are answered with their memory (F1 ${esc(u.mean_f1_with_memory)}) and without it (F1 ${esc(u.mean_f1_without_memory)}), over ${u.probes} probes; the first well above the second means new documents are taken up.</p>`;
  const sources = f.sources.map((s) => `<tr class="${s.stale ? 'stale' : ''}"><td>${esc(s.source)}</td><td>${s.documents}</td><td>${ago(s.last_received_at, now)}</td><td>${ago(s.last_indexed_at, now)}</td><td>${s.stale ? 'stale' : 'fresh'}</td></tr>`).join('');
  const failures = f.recent_failures.map((x) => `<tr><td>${esc(x.document_id)}</td><td>${x.version}</td><td>${ago(x.at, now)}</td><td>${esc(x.error)}</td></tr>`).join('');
  const details = detail
    ? `<h2>Sources <span class="muted">(stale: nothing new for ${f.sla_seconds} s)</span></h2>
<table id="sources"><tr><th>source</th><th>documents</th><th>last received</th><th>last indexed</th><th></th></tr>${sources || '<tr><td colspan="5" class="muted">none yet</td></tr>'}</table>
<h2>Latest failures</h2>
<table id="failures"><tr><th>document</th><th>version</th><th>received</th><th>error</th></tr>${failures || '<tr><td colspan="4" class="muted">none</td></tr>'}</table>`
    : `<p class="muted" id="aggregate">Aggregate view. <a href="/?login">Sign in with an API key</a> (any user name, the key as password) for sources and failures.</p>`;
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta http-equiv="refresh" content="30"><title>Memory status</title>
<style>
body{font:14px system-ui,sans-serif;margin:2em auto;max-width:62em;padding:0 1em;color:#222}
.muted{color:#777;font-size:90%}.cards{display:grid;grid-template-columns:repeat(4,1fr);gap:.6em;margin:1em 0}
.card{border:1px solid #ddd;border-radius:6px;padding:.6em .8em}.card .value{font-size:130%;margin-top:.2em}.warn{border-color:#d9822b;background:#fff6ec}
figure{margin:1em 0}svg{background:#fafafa;border:1px solid #eee}rect{fill:#3b7dd8}
table{border-collapse:collapse;margin-bottom:1.5em;width:100%}th,td{padding:.3em .8em;border-bottom:1px solid #ddd;text-align:left}tr.stale td{background:#fff1f0;color:#a8071a}
</style></head>
<body><h1>Memory status</h1><p class="muted">Bundle ${esc(bundleId)} · generated ${ago(f.generated_at, now)} · refreshes every 30 s</p>
<div class="cards">${cards}</div>${charts}${uptake}${details}</body></html>`;
}
