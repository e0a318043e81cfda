import { describe, expect, it } from 'vitest';
import type { QuestionRecord } from './modes.ts';
import { pairedDifference, summarize } from './score.ts';

const rec = (f1: number, em = 0): QuestionRecord => ({
  id: String(Math.random()), question: 'q', golds: ['a'], prediction: 'a b', em, f1, ms: 10, prompt_tokens: 5, gold_in_context: true, sources: [],
});

describe('evaluation scores', () => {
  it('reports EM and F1 in points', () => {
    const s = summarize([rec(1, 1), rec(0.5), rec(0)]);
    expect(s.em).toBe(33.3);
    expect(s.f1).toBe(50);
    expect(s.mean_answer_words).toBe(2);
  });

  it('splits F1 by whether the gold paragraph was read', () => {
    const s = summarize([rec(1), rec(0.5), { ...rec(0), gold_in_context: false }]);
    expect(s.gold_in_context).toBe(0.667);
    expect([s.f1_gold_read, s.f1_gold_missed]).toEqual([75, 0]);
    expect(summarize([{ ...rec(1), gold_in_context: null }]).f1_gold_read).toBeNull();
  });

  it('puts a real difference outside the bootstrap interval of zero, and no difference inside it', () => {
    const a = Array.from({ length: 200 }, (_, i) => rec(i % 2 ? 0.8 : 0.6));
    const b = Array.from({ length: 200 }, (_, i) => rec(i % 2 ? 0.5 : 0.3));
    const d = pairedDifference(a, b);
    expect(d.diff).toBe(30);
    expect(d.low).toBeGreaterThan(0);
    const same = pairedDifference(a, a);
    expect(same.low).toBeLessThanOrEqual(0);
    expect(same.high).toBeGreaterThanOrEqual(0);
    // unanswerable questions (SQuAD 2.0) are left out, as from F1
    const none = { ...rec(0), golds: [] };
    expect(pairedDifference([...a, none], [...b, { ...none, f1: 1 }])).toMatchObject({ diff: 30, n: 200 });
  });
});
