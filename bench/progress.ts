/** Progress of the command-line tools (eval, bench, reindex, loader) goes to stderr, so stdout stays the service's log. */
export const note = (msg: string) => process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] ${msg}\n`);

/** A one-line progress bar (percentage, rate, eta); without a terminal, a line every 10 %. */
export function progressBar(label: string, total: number) {
  const started = performance.now();
  const tty = process.stderr.isTTY;
  let lastDraw = 0;
  let lastDecile = -1;
  const line = (done: number) => {
    const seconds = (performance.now() - started) / 1000;
    const rate = done / Math.max(seconds, 1e-9);
    const pct = total ? (100 * done) / total : 100;
    const width = 30;
    const filled = Math.round((width * pct) / 100);
    const eta = rate > 0 ? (total - done) / rate : 0;
    return `${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${pct.toFixed(1)}% ${done}/${total} ${rate.toFixed(0)}/s eta ${formatSeconds(eta)}`;
  };
  return {
    update(done: number) {
      const now = performance.now();
      if (tty) {
        if (now - lastDraw < 200 && done < total) return;
        lastDraw = now;
        process.stderr.write(`\r${line(done)}\x1b[K`);
      } else {
        const decile = Math.floor((10 * done) / Math.max(total, 1));
        if (decile === lastDecile) return;
        lastDecile = decile;
        process.stderr.write(`${line(done)}\n`);
      }
    },
    done(doneCount = total) {
      if (tty) process.stderr.write(`\r${line(doneCount)}\x1b[K\n`);
      else if (lastDecile < 10) process.stderr.write(`${line(doneCount)}\n`);
    },
  };
}

export function formatSeconds(s: number): string {
  if (!Number.isFinite(s)) return '?';
  if (s < 60) return `${s.toFixed(0)}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(Math.round(s % 60)).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.round((s % 3600) / 60)).padStart(2, '0')}m`;
}
