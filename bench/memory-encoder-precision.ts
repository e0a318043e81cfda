import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import type { Manifest } from '../bundle/index.ts';
import { loadTokenizer } from '../bundle/tokenizer.ts';
import { pastFeeds } from '../lm/index.ts';
import { machine } from './report.ts';
import { median } from './stats.ts';

// Times the memory encoder's pass in the six forms of mac/experiments/memory_encoder_precision.py (the
// bundle's 4-bit graph, it in float compute, each with its low-rank terms merged, fp32, dynamic int8) over
// real SQuAD paragraphs, 2 threads, interleaved, and how far each one's key/value cache (what a memory
// keeps) lies from fp32's: relative error per layer group.
//   scripts/python.sh -m mac.experiments.memory_encoder_precision && node --import tsx bench/memory-encoder-precision.ts
const DIR = process.argv[2] ?? 'runs/memory-encoder-precision';
const SQUAD = process.argv[3] ?? '../shared/data/squad/squad-1.1-validation.jsonl';
const GRAPHS = {
  q4: 'bundles/default/memory_encoder.onnx', 'q4-merged': join(DIR, 'memory_encoder-q4-merged.onnx'), 'q4-acc0': join(DIR, 'memory_encoder-q4-acc0.onnx'),
  'q4-acc0-merged': join(DIR, 'memory_encoder-q4-acc0-merged.onnx'), fp32: join(DIR, 'fp32/memory_encoder.onnx'), int8: join(DIR, 'memory_encoder-int8.onnx'),
};
const manifest = JSON.parse(readFileSync('bundles/default/manifest.json', 'utf8')) as Manifest;
const LAYERS = manifest.dims.lm_layers;
const m = machine();
console.log(`${m.cpu} (${m.isa.join(' ')}), ${m.cores} cores, ${m.onnxruntime}`);

const tokenizer = loadTokenizer('bundles/default/tokenizers/lm/tokenizer.json');
const paragraphs = readFileSync(SQUAD, 'utf8').split('\n').filter(Boolean).slice(0, 8).map((l) => JSON.parse(l).context as string);
const int64 = (xs: number[]) => new ort.Tensor('int64', BigInt64Array.from(xs, BigInt), [1, xs.length]);
const feedsFor = (text: string) => {
  const ids = tokenizer.encode(text, false).slice(0, 256);
  const feeds = { input_ids: int64(ids), attention_mask: int64(ids.map(() => 1)), position_ids: int64(ids.map((_, i) => i)), ...pastFeeds(manifest, null) };
  return { feeds, tokens: ids.length };
};
const inputs = paragraphs.map(feedsFor);
console.log(`${inputs.length} paragraphs, ${inputs.map((i) => i.tokens).join(' ')} tokens`);
const names = Object.keys(GRAPHS) as (keyof typeof GRAPHS)[];
const sessions = await Promise.all(names.map((k) => ort.InferenceSession.create(GRAPHS[k], { intraOpNumThreads: 2, interOpNumThreads: 1, graphOptimizationLevel: 'all' })));
const times: number[][] = names.map(() => []);
// squared error against fp32 and fp32's squared norm, per layer group (0-9, 10-19, 20-29), over every paragraph
const err = names.map(() => [0, 0, 0]);
const norm = [0, 0, 0];
for (let round = 0; round < 3; round++) {
  for (const input of inputs) {
    const outs = [];
    for (const [i, s] of sessions.entries()) {
      const t0 = performance.now();
      outs.push(await s.run(input.feeds));
      times[i].push(performance.now() - t0);
    }
    if (round) continue;
    const ref = outs[names.indexOf('fp32')];
    for (let l = 0; l < LAYERS; l++) for (const kv of ['key', 'value']) {
      const r = ref[`present.${l}.${kv}`].data as Float32Array;
      for (const [i, o] of outs.entries()) {
        const x = o[`present.${l}.${kv}`].data as Float32Array;
        for (let j = 0; j < r.length; j++) err[i][Math.floor(l / 10)] += (x[j] - r[j]) ** 2;
      }
      for (let j = 0; j < r.length; j++) norm[Math.floor(l / 10)] += r[j] ** 2;
    }
  }
}
const base = median(times[names.indexOf('q4')])!;
for (const [i, k] of names.entries()) {
  const rel = err[i].map((e, g) => Math.sqrt(e / norm[g]).toFixed(3)).join(' / ');
  console.log(`${k.padEnd(14)} median ${median(times[i])!.toFixed(1)} ms per paragraph (${(median(times[i])! / base).toFixed(2)}x q4); key/value error vs fp32, layers 0-9 / 10-19 / 20-29: ${rel}`);
}
