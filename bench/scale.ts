import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import v8 from 'node:v8';
import vm from 'node:vm';
import { ExactIndex, HnswIndex } from '../memory/index.ts';
import { note, progressBar } from './progress.ts';
import type { Section } from './report.ts';
import { percentile, round } from './stats.ts';

const DIM = 384; // all-MiniLM-L6-v2, the default bundle's encoder
const K = 10;
const QUERIES = 200;
// The service's settings (memory/hnsw-index.ts defaults), stated here so the report names what it measured.
const M = 16;
const EF_CONSTRUCTION = 200;
const EF_SEARCH_SERVICE = 128;
// Always these; then doubling while recall is short of the target, up to EF_MAX.
const EF_SWEEP = [64, 128, 256];
const EF_MAX = 4096;
const RECALL_TARGET = 0.95;
const SEED = 20241128;

/** Where the synthetic vectors come from: fitted to real embeddings, or uniform on the sphere. */
export type ScaleData = { kind: 'fitted'; source: string; embeddings: Float32Array[] } | { kind: 'uniform' };

/** hnswlib at a size the SQuAD set cannot reach: synthetic unit vectors, recall against exact search. */
export async function runScale(n: number, data: ScaleData): Promise<Section> {
  const uniform = mulberry32(SEED);
  const random = gaussian(uniform);
  const sample = data.kind === 'fitted' ? fittedSampler(data.embeddings, uniform, random) : (rows: number) => unitVectors(rows, random);
  note(`scale: generating ${n} + ${QUERIES} ${describe(data)} (${DIM}-d, seed ${SEED})`);
  const vectors = sample(n);
  const queries = Array.from({ length: QUERIES }, () => sample(1));
  const collect = garbageCollector();
  const dir = mkdtempSync(join(tmpdir(), 'mac-bench-scale-'));
  const snapshot = join(dir, 'index.hnsw');
  try {
    const { truth, ...built } = buildAndSave(vectors, n, queries, snapshot);
    // efSearch is fixed when an index is opened, as in the service; each setting is a fresh load of the snapshot.
    const sweep: SweepRow[] = [];
    for (let ef = EF_SWEEP[0]; ef <= EF_MAX; ef *= 2) {
      const met = sweep.some((row) => row.recall !== null && row.recall >= RECALL_TARGET);
      if (met && !EF_SWEEP.includes(ef)) break;
      await collect();
      const t = performance.now();
      const loaded = HnswIndex.load(snapshot, DIM, { efSearch: ef })!;
      const loadSeconds = (performance.now() - t) / 1000;
      const result = { ef_search: ef, load_seconds: round(loadSeconds), ...measure(loaded, queries, truth) };
      sweep.push(result);
      note(`scale: efSearch ${ef}: recall@${K} ${result.recall}, p50 ${result.p50_ms} ms`);
    }
    return report(n, data, { ...built, load_seconds: sweep[0]?.load_seconds ?? null }, sweep, collect.available);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function groundTruth(vectors: Float32Array, n: number, queries: Float32Array[]): Set<number>[] {
  note(`scale: exact top-${K} for ${QUERIES} queries`);
  const exact = new ExactIndex(DIM);
  for (let i = 0; i < n; i++) exact.add(i, vectors.subarray(i * DIM, (i + 1) * DIM));
  const bar = progressBar('scale: exact', queries.length);
  const truth = queries.map((q, i) => {
    bar.update(i);
    return new Set(exact.search(q, K).map((r) => r.id));
  });
  bar.done();
  return truth;
}

/** Builds, measures at the service's efSearch and saves; the index itself does not outlive this call. */
function buildAndSave(vectors: Float32Array, n: number, queries: Float32Array[], snapshot: string) {
  const rssBefore = process.memoryUsage().rss;
  const index = HnswIndex.create(DIM, { m: M, efConstruction: EF_CONSTRUCTION, efSearch: EF_SEARCH_SERVICE, initialCapacity: n });
  const bar = progressBar('scale: build', n);
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    index.add(i, vectors.subarray(i * DIM, (i + 1) * DIM));
    if ((i & 1023) === 0) bar.update(i);
  }
  bar.done(n);
  const buildSeconds = (performance.now() - t0) / 1000;
  const rssAfter = process.memoryUsage().rss;
  // After the RSS reading: the exact search's garbage would otherwise be counted as the index's.
  const truth = groundTruth(vectors, n, queries);
  const atService = measure(index, queries, truth);
  const t1 = performance.now();
  index.save(snapshot);
  return {
    build_seconds: round(buildSeconds), inserts_per_s: round(n / buildSeconds, 1), ...atService,
    rss_before_build_mb: mb(rssBefore), rss_after_build_mb: mb(rssAfter), index_rss_mb: mb(rssAfter - rssBefore),
    save_seconds: round((performance.now() - t1) / 1000), snapshot_bytes: statSync(snapshot).size, snapshot_mb: mb(statSync(snapshot).size),
    truth,
  };
}

const mb = (bytes: number) => round(bytes / 2 ** 20, 1);

type Built = Omit<ReturnType<typeof buildAndSave>, 'truth'> & { load_seconds: number | null };
type SweepRow = { ef_search: number; load_seconds: number | null } & ReturnType<typeof measure>;

function describe(data: ScaleData): string {
  return data.kind === 'fitted'
    ? `unit vectors from a Gaussian fitted to ${data.embeddings.length} real embeddings (${data.source})`
    : 'uniform random unit vectors';
}

function report(n: number, source: ScaleData, built: Built, sweep: SweepRow[], gcBetweenLoads: boolean): Section {
  const smallestEf = sweep.find((s) => s.recall !== null && s.recall >= RECALL_TARGET)?.ef_search ?? null;

  const data = {
    n, data: source.kind, data_source: source.kind === 'fitted' ? source.source : null,
    fitted_to: source.kind === 'fitted' ? source.embeddings.length : null, dim: DIM, k: K, queries: QUERIES, seed: SEED, m: M, ef_construction: EF_CONSTRUCTION, ef_search: EF_SEARCH_SERVICE,
    ...built, ef_sweep: sweep, smallest_ef_search_for_recall: smallestEf, gc_between_loads: gcBetweenLoads,
  };
  return {
    name: 'scale',
    data,
    tables: [
      {
        title: `hnswlib (HnswIndex), ${n} ${describe(source)}, ${DIM}-d, M ${M}, efConstruction ${EF_CONSTRUCTION}, efSearch ${EF_SEARCH_SERVICE} (the service's)`,
        columns: ['vectors', 'build s', 'inserts/s', `p50 ms (k=${K})`, 'p99 ms', `recall@${K}`, 'RSS after build MB', 'index RSS MB', 'snapshot MB', 'save s', 'load s'],
        rows: [[n, data.build_seconds, data.inserts_per_s, data.p50_ms, data.p99_ms, data.recall, data.rss_after_build_mb, data.index_rss_mb, data.snapshot_mb, data.save_seconds, data.load_seconds]],
      },
      {
        title: `efSearch sweep (each a fresh HnswIndex.load of the snapshot), ${QUERIES} queries`,
        columns: ['efSearch', `recall@${K}`, 'p50 ms', 'p99 ms', 'load s'],
        rows: sweep.map((s) => [s.ef_search, s.recall, s.p50_ms, s.p99_ms, s.load_seconds]),
      },
    ],
    targets: [{
      name: `smallest efSearch with recall@${K} >= ${RECALL_TARGET}`, value: smallestEf ?? `none up to ${EF_MAX}`,
      target: `recall >= ${RECALL_TARGET}`, met: smallestEf !== null,
    }],
    notes: [
      `queries are ${QUERIES} further vectors from the same distribution; ground truth is ExactIndex (brute force) over the same vectors`,
      source.kind === 'fitted'
        ? 'fitted: each vector is the real embeddings\' mean plus a Gaussian-weighted sum of 8 random real embeddings\' deviations from it (divided by the square root of 8), then normalized: the real mean and covariance, so the real intrinsic dimension, without their topic clusters'
        : 'uniform random vectors have no structure at all (intrinsic dimension 384), the hardest case for graph search: real embeddings reach a given recall at a lower efSearch',
      'latency is one search(query, 10) call in this process, after one unmeasured pass over the queries; RSS is the whole process (vectors included) and its growth during the build',
    ],
  };
}

function measure(index: HnswIndex, queries: Float32Array[], truth: Set<number>[]) {
  for (const q of queries) index.search(q, K);
  const latencies: number[] = [];
  let hits = 0;
  queries.forEach((q, i) => {
    const t = performance.now();
    const found = index.search(q, K);
    latencies.push(performance.now() - t);
    hits += found.filter((r) => truth[i].has(r.id)).length;
  });
  return { p50_ms: round(percentile(latencies, 0.5)), p99_ms: round(percentile(latencies, 0.99)), recall: round(hits / (K * queries.length), 4) };
}

/**
 * Samples with the mean and covariance of real embeddings: mean + sum_j w_j (e_rj - mean) / sqrt(MIX), w_j ~ N(0, 1),
 * rj uniform. Real sentence embeddings occupy a few directions of the 384; uniform vectors fill all of them.
 */
const MIX = 8;
function fittedSampler(embeddings: Float32Array[], uniform: () => number, random: () => number): (rows: number) => Float32Array {
  const mean = new Float32Array(DIM);
  for (const e of embeddings) for (let d = 0; d < DIM; d++) mean[d] += e[d] / embeddings.length;
  const deviations = embeddings.map((e) => e.map((x, d) => x - mean[d]));
  const scale = 1 / Math.sqrt(MIX);
  return (rows) => {
    const out = new Float32Array(rows * DIM);
    for (let r = 0; r < rows; r++) {
      const row = out.subarray(r * DIM, (r + 1) * DIM);
      row.set(mean);
      for (let j = 0; j < MIX; j++) {
        const dev = deviations[Math.floor(uniform() * deviations.length)];
        const w = random() * scale;
        for (let d = 0; d < DIM; d++) row[d] += w * dev[d];
      }
      let norm = 0;
      for (let d = 0; d < DIM; d++) norm += row[d] * row[d];
      const inv = 1 / Math.sqrt(norm);
      for (let d = 0; d < DIM; d++) row[d] *= inv;
    }
    return out;
  };
}

/** Rows of normalized Gaussian samples: uniform on the unit sphere. */
function unitVectors(rows: number, random: () => number): Float32Array {
  const out = new Float32Array(rows * DIM);
  for (let r = 0; r < rows; r++) {
    let norm = 0;
    for (let d = 0; d < DIM; d++) {
      const x = random();
      out[r * DIM + d] = x;
      norm += x * x;
    }
    const inv = 1 / Math.sqrt(norm);
    for (let d = 0; d < DIM; d++) out[r * DIM + d] *= inv;
  }
  return out;
}

/** A small seeded PRNG: the same vectors on every machine, so results compare across runs. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Box-Muller, keeping the second sample of each pair. */
function gaussian(uniform: () => number): () => number {
  let spare: number | null = null;
  return () => {
    if (spare !== null) {
      const s = spare;
      spare = null;
      return s;
    }
    const u = 1 - uniform();
    const v = uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  };
}

/**
 * hnswlib's memory is native and invisible to V8, so a dropped index (gigabytes at 1M vectors) would only be
 * freed by some later, unrelated collection; forcing one keeps a single index alive during the sweep.
 */
function garbageCollector() {
  let gc: (() => void) | null = null;
  try {
    v8.setFlagsFromString('--expose-gc');
    gc = vm.runInNewContext('gc') as () => void;
  } catch {
    gc = null;
  }
  const collect = async () => {
    gc?.();
    // Native finalizers may run on the next turn of the event loop.
    await new Promise((r) => setImmediate(r));
  };
  return Object.assign(collect, { available: gc !== null });
}
