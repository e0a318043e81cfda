import { note } from './progress.ts';
import type { Section } from './report.ts';
import { warmUp, type BenchService } from './service.ts';
import type { SquadQuestion } from './squad.ts';
import { median, round } from './stats.ts';

/**
 * What the LM's prompt cache buys on a realistic repeated-question workload: SQuAD's questions in file
 * order (about five in a row on each paragraph, as users ask follow-ups on one document), each mode's
 * questions one after another, with the cache off (PROMPT_CACHE_MB=0) and then on (the default), the
 * service restarted on the same data between runs. Each mode as the service answers it by default
 * (rag and hybrid grounded).
 */
const MODES = ['base', 'mac', 'rag', 'hybrid'] as const;
const MAX_TOKENS = 16;

interface Run {
  serverMs: number[];
  firstTokenMs: number[];
  promptTokens: number;
  cachedTokens: number;
  answers: (string | null)[];
  errors: number;
}

async function ask(svc: BenchService, mode: string, questions: SquadQuestion[]): Promise<Run> {
  const run: Run = { serverMs: [], firstTokenMs: [], promptTokens: 0, cachedTokens: 0, answers: [], errors: 0 };
  for (const q of questions) {
    const res = await svc.api.post('/v1/answers', { question: q.question, mode, max_tokens: MAX_TOKENS, abstain_below_confidence: 0 });
    if (res.status !== 200) {
      run.errors++;
      run.answers.push(null);
      continue;
    }
    run.serverMs.push(res.body.timings_ms.total);
    run.firstTokenMs.push(res.body.timings_ms.first_token);
    run.promptTokens += res.body.usage.prompt_tokens;
    run.cachedTokens += res.body.usage.cached_tokens;
    run.answers.push(res.body.answer);
  }
  return run;
}

/** `restart` takes the service's environment overrides and returns it running on the same data. */
export async function runPromptCache(restart: (env: Record<string, string>) => Promise<BenchService>, questions: SquadQuestion[]): Promise<Section> {
  const runs: Record<string, { off: Run; on: Run }> = {};
  const results: Partial<Record<'off' | 'on', Record<string, Run>>> = {};
  for (const setting of ['off', 'on'] as const) {
    const svc = await restart(setting === 'off' ? { PROMPT_CACHE_MB: '0' } : {});
    await warmUp(svc.api, MODES);
    const byMode: Record<string, Run> = {};
    for (const mode of MODES) {
      note(`prompt-cache: ${mode}, cache ${setting}, ${questions.length} questions`);
      byMode[mode] = await ask(svc, mode, questions);
    }
    results[setting] = byMode;
  }
  for (const mode of MODES) runs[mode] = { off: results.off![mode], on: results.on![mode] };
  const rows = MODES.map((mode) => {
    const { off, on } = runs[mode];
    const same = on.answers.filter((a, i) => a === off.answers[i]).length;
    return {
      mode, questions: questions.length,
      share_cached: round(on.cachedTokens / Math.max(on.promptTokens, 1), 3),
      prompt_tokens_mean: round(on.promptTokens / Math.max(on.serverMs.length, 1)),
      first_token_p50_ms: { off: round(median(off.firstTokenMs)), on: round(median(on.firstTokenMs)) },
      server_p50_ms: { off: round(median(off.serverMs)), on: round(median(on.serverMs)) },
      speedup_p50: round(median(off.serverMs)! / Math.max(median(on.serverMs)!, 1e-9), 2),
      same_answers: same, errors: off.errors + on.errors,
    };
  });
  const errors = rows.reduce((s, r) => s + r.errors, 0);
  return {
    name: 'prompt-cache',
    data: { questions: questions.length, max_tokens: MAX_TOKENS, order: 'SQuAD file order, each mode in turn', modes: rows },
    tables: [{
      title: `Prompt cache off (PROMPT_CACHE_MB=0) vs on (default), ${questions.length} SQuAD questions in file order per mode, max_tokens ${MAX_TOKENS}, sequential (ms)`,
      columns: ['mode', 'prompt tokens', 'share cached', 'first token p50 off', 'on', 'server p50 off', 'on', 'speed-up', 'same answers', 'errors'],
      rows: rows.map((r) => [r.mode, r.prompt_tokens_mean, r.share_cached, r.first_token_p50_ms.off, r.first_token_p50_ms.on, r.server_p50_ms.off, r.server_p50_ms.on, r.speedup_p50, `${r.same_answers}/${r.questions}`, r.errors]),
    }],
    targets: [{ name: 'prompt cache: errors, both runs', value: errors, target: '0', met: errors === 0 }],
    notes: [
      'share cached = prompt tokens whose pass a recent prompt served (usage.cached_tokens) / prompt tokens, cache on',
      'rag and hybrid answer grounded (the service default); mac and hybrid hits need the same memories in the same order',
      'same answers: identical text with the cache off and on (a pass split at the cached boundary changes rounding only)',
    ],
  };
}
