/** A small Prometheus registry: counters and histograms with labels, gauges read at scrape time. */
type Labels = Record<string, string>;

const key = (labels: Labels) => JSON.stringify(Object.entries(labels).sort());
const fmt = (labels: Labels) => {
  const parts = Object.entries(labels).map(([k, v]) => `${k}="${v.replace(/["\\\n]/g, '_')}"`);
  return parts.length ? `{${parts.join(',')}}` : '';
};

const DEFAULT_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

export class Metrics {
  private readonly counters = new Map<string, { help: string; values: Map<string, { labels: Labels; value: number }> }>();
  private readonly histograms = new Map<string, { help: string; buckets: number[]; values: Map<string, { labels: Labels; counts: number[]; sum: number; count: number }> }>();
  private readonly gauges = new Map<string, { help: string; type: 'gauge' | 'counter'; read: () => number | [Labels, number][] }>();

  inc(name: string, help: string, labels: Labels = {}, by = 1): void {
    const c = this.counters.get(name) ?? { help, values: new Map() };
    this.counters.set(name, c);
    const entry = c.values.get(key(labels)) ?? { labels, value: 0 };
    entry.value += by;
    c.values.set(key(labels), entry);
  }

  observe(name: string, help: string, seconds: number, labels: Labels = {}, buckets = DEFAULT_BUCKETS): void {
    const h = this.histograms.get(name) ?? { help, buckets, values: new Map() };
    this.histograms.set(name, h);
    const entry = h.values.get(key(labels)) ?? { labels, counts: buckets.map(() => 0), sum: 0, count: 0 };
    h.buckets.forEach((b, i) => {
      if (seconds <= b) entry.counts[i]++;
    });
    entry.sum += seconds;
    entry.count++;
    h.values.set(key(labels), entry);
  }

  /** A value read at scrape time; `counter` for one that only grows and is kept elsewhere (e.g. CPU seconds). */
  gauge(name: string, help: string, read: () => number | [Labels, number][], type: 'gauge' | 'counter' = 'gauge'): void {
    this.gauges.set(name, { help, type, read });
  }

  render(): string {
    const lines: string[] = [];
    for (const [name, c] of this.counters) {
      lines.push(`# HELP ${name} ${c.help}`, `# TYPE ${name} counter`);
      for (const { labels, value } of c.values.values()) lines.push(`${name}${fmt(labels)} ${value}`);
    }
    for (const [name, h] of this.histograms) {
      lines.push(`# HELP ${name} ${h.help}`, `# TYPE ${name} histogram`);
      for (const { labels, counts, sum, count } of h.values.values()) {
        h.buckets.forEach((b, i) => lines.push(`${name}_bucket${fmt({ ...labels, le: String(b) })} ${counts[i]}`));
        lines.push(`${name}_bucket${fmt({ ...labels, le: '+Inf' })} ${count}`, `${name}_sum${fmt(labels)} ${sum}`, `${name}_count${fmt(labels)} ${count}`);
      }
    }
    for (const [name, g] of this.gauges) {
      lines.push(`# HELP ${name} ${g.help}`, `# TYPE ${name} ${g.type}`);
      const v = g.read();
      if (typeof v === 'number') lines.push(`${name} ${v}`);
      else for (const [labels, value] of v) lines.push(`${name}${fmt(labels)} ${value}`);
    }
    return lines.join('\n') + '\n';
  }
}
