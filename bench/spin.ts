import { note } from './progress.ts';
import type { Section } from './report.ts';
import { warmUp, type BenchService } from './service.ts';
import type { SquadQuestion } from './squad.ts';
import { median, round } from './stats.ts';

/**
 * SPIN_WAIT for one user: a single client asking `mac` and `base` questions one after another, no
 * ingestion, so the model threads are never busy at once (the load section measures them busy together).
 * Each setting in turn (true, auto, false), the service restarted on the same data, and the whole round
 * twice so a drift in the machine touches every setting alike.
 */
const SETTINGS = ['true', 'auto', 'false'] as const;
const MODES = ['mac', 'base'] as const;
const QUESTIONS = 24;
const ROUNDS = 2;
const MAX_TOKENS = 32;

/** `restart` takes the service's environment overrides and returns it running on the same data. */
export async function runSpin(restart: (env: Record<string, string>) => Promise<BenchService>, questions: SquadQuestion[]): Promise<Section> {
  const asked = questions.slice(0, QUESTIONS);
  const ms = Object.fromEntries(SETTINGS.map((s) => [s, Object.fromEntries(MODES.map((m) => [m, [] as number[]]))])) as Record<string, Record<string, number[]>>;
  const startSeconds: Record<string, number[]> = Object.fromEntries(SETTINGS.map((s) => [s, []]));
  let errors = 0;
  for (let pass = 1; pass <= ROUNDS; pass++) {
    for (const spin of SETTINGS) {
      const t0 = performance.now();
      const svc = await restart({ SPIN_WAIT: spin });
      startSeconds[spin].push((performance.now() - t0) / 1000);
      await warmUp(svc.api, MODES);
      for (const mode of MODES) {
        note(`spin: round ${pass}, SPIN_WAIT=${spin}, ${mode}, ${asked.length} questions`);
        for (const q of asked) {
          const res = await svc.api.post('/v1/answers', { question: q.question, mode, max_tokens: MAX_TOKENS });
          if (res.status === 200) ms[spin][mode].push(res.body.timings_ms.total);
          else errors++;
        }
      }
    }
  }
  const latency = (xs: number[]) => ({ p50_ms: round(median(xs)), mean_ms: round(xs.reduce((a, b) => a + b, 0) / Math.max(xs.length, 1)) });
  const rows = SETTINGS.map((spin) => ({
    spin_wait: spin, restart_s: round(median(startSeconds[spin]), 1), mac: latency(ms[spin].mac), base: latency(ms[spin].base),
  }));
  const auto = rows.find((r) => r.spin_wait === 'auto')!;
  const on = rows.find((r) => r.spin_wait === 'true')!;
  const meanRatio = round(MODES.reduce((s, m) => s + auto[m].mean_ms! / on[m].mean_ms!, 0) / MODES.length, 2);
  return {
    name: 'spin',
    data: { questions: asked.length, rounds: ROUNDS, max_tokens: MAX_TOKENS, settings: rows, errors },
    tables: [{
      title: `One client, no ingestion: ${asked.length} SQuAD questions per mode, ${ROUNDS} rounds, max_tokens ${MAX_TOKENS}, server ms`,
      columns: ['SPIN_WAIT', 'mac p50', 'mac mean', 'base p50', 'base mean', 'restart s'],
      rows: rows.map((r) => [r.spin_wait, r.mac.p50_ms, r.mac.mean_ms, r.base.p50_ms, r.base.mean_ms, r.restart_s]),
    }],
    targets: [
      { name: 'one client: mean latency, SPIN_WAIT auto / true (mac and base averaged)', value: meanRatio, target: 'reported', met: null },
      { name: 'spin: errors', value: errors, target: '0', met: errors === 0 },
    ],
    notes: [
      'restart s: closing the service and starting it again with the setting (auto loads the LM and the memory encoder twice, spinning and not)',
      'the load section measures the settings with 8 answer clients and 2 ingestion clients',
    ],
  };
}
