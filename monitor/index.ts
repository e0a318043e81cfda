export { makeProbe, UptakeProber, type ClozeProbe } from './probes.ts';
export { normalizeAnswer, tokenF1 } from './squad-metrics.ts';
