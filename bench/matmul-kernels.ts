import * as ort from 'onnxruntime-node';
import { machine } from './report.ts';
import { median } from './stats.ts';

// Times the graphs of mac/experiments/matmul_kernels.py (one LM-sized matrix product in five ONNX forms) in
// onnxruntime-node, 2 threads, interleaved over 5 rounds of 60 runs each; prints each form's median and the
// machine's CPU and ISA flags: which kernels a prefill (259 rows) and a decode step (1 row) get on this CPU.
//   scripts/python.sh -m mac.experiments.matmul_kernels && node --import tsx bench/matmul-kernels.ts
const DIR = process.argv[2] ?? 'runs/matmul-kernels';
const FORMS = ['fp32', 'int8', 'q4-acc0', 'q4-acc4', 'q4-zpf'];
const K = 576;
const m = machine();
console.log(`${m.cpu} (${m.isa.join(' ')}), ${m.cores} cores, ${m.onnxruntime}`);
for (const rows of [259, 1]) {
  const x = new ort.Tensor('float32', Float32Array.from({ length: rows * K }, (_, i) => Math.sin(i)), [rows, K]);
  const sessions = await Promise.all(FORMS.map((f) => ort.InferenceSession.create(`${DIR}/${f}-${rows}.onnx`, { intraOpNumThreads: 2, interOpNumThreads: 1 })));
  const times: number[][] = FORMS.map(() => []);
  for (let round = 0; round < 5; round++) {
    for (const [i, s] of sessions.entries()) {
      for (let k = 0; k < 70; k++) {
        const t0 = performance.now();
        await s.run({ x });
        if (k >= 10) times[i].push(performance.now() - t0);
      }
    }
  }
  const base = median(times[FORMS.indexOf('q4-acc4')])!;
  for (const [i, f] of FORMS.entries()) {
    console.log(`${rows} rows  ${f.padEnd(8)} median ${median(times[i])!.toFixed(3)} ms  (${(median(times[i])! / base).toFixed(2)}x q4-acc4)`);
  }
}
