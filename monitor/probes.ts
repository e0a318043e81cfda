import type { Answerer } from '../answer/index.ts';
import type { MemoryStore, ProbeRecord } from '../memory/index.ts';
import { tokenF1 } from './squad-metrics.ts';

export interface ClozeProbe {
  question: string;
  expected: string;
}

/**
 * A probe question from a document's own text: the first sentence with a number or a mid-sentence
 * capitalized name has that span blanked out. Answered with and without memory, the F1 gap says whether
 * new knowledge is actually being taken up.
 */
export function makeProbe(text: string): ClozeProbe | null {
  for (const sentence of text.split(/(?<=[.!?])\s+/)) {
    const words = sentence.trim().split(/\s+/);
    if (words.length < 6 || words.length > 40) continue;
    const span = sentence.match(/\b\d[\d,.]*\b/)?.[0] ?? sentence.slice(1).match(/\b[A-Z][a-z]+(?:\s+[A-Z][a-z]+)*/)?.[0];
    if (!span) continue;
    return { question: `Fill in the blank: ${sentence.trim().replace(span, '____')}`, expected: span.replace(/[.,]$/, '') };
  }
  return null;
}

export class UptakeProber {
  constructor(private readonly deps: { store: MemoryStore; answerer: Answerer }) {}

  /** Probes the most recently indexed document not probed yet; returns the record, or null if none. */
  async probeOnce(maxTokens = 12): Promise<ProbeRecord | null> {
    const probed = new Set(this.deps.store.recentProbes(200).map((p) => `${p.documentId}#${p.version}`));
    const target = this.deps.store.recentlyIndexed(20).find((d) => !probed.has(`${d.documentId}#${d.version}`));
    const probe = target && makeProbe(target.text);
    if (!target || !probe) return null;
    const withMemory = await this.deps.answerer.answer({ question: probe.question, mode: 'mac', maxTokens, abstainBelowConfidence: 0 });
    const without = await this.deps.answerer.answer({ question: probe.question, mode: 'base', maxTokens, abstainBelowConfidence: 0 });
    const record: ProbeRecord = {
      documentId: target.documentId, version: target.version, question: probe.question, expected: probe.expected,
      answer: withMemory.answer ?? '', f1: tokenF1(withMemory.answer ?? '', probe.expected), baseF1: tokenF1(without.answer ?? '', probe.expected), at: Date.now(),
    };
    this.deps.store.recordProbe(record);
    return record;
  }
}
