"""How long one read takes in each of several reader ONNX files, timed interleaved in one run (ratios to the first).

100 (question, paragraph) pairs of the reader's held-out articles, each file read 3 times each, onnxruntime on the
CPU with 2 threads; prints the CPU and its vector ISA flags. The service's own figure is `npm run bench`'s
"reader check p50"; this compares reader forms before one goes into a bundle.

    scripts/python.sh -m mac.experiments.reader_speed weights/reader-minilm.onnx runs/reader-eight/reader-minilm-int8.onnx
"""
import argparse
import statistics
import time
from pathlib import Path

import numpy as np

from mac.reader import Reader, held_out_paragraphs


def cpu() -> str:
    info = open("/proc/cpuinfo").read()
    name = info.split("model name")[1].split("\n")[0].strip(": \t")
    flags = info.split("flags")[1].split("\n")[0].split()
    return f"{name} ({' '.join(f for f in flags if f.startswith(('avx2', 'avx512', 'amx')))})"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("onnx", nargs="+")
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args()
    readers = [Reader(a.threads, Path(path)) for path in a.onnx]
    sessions, tok = [r.session for r in readers], readers[0].tok
    pairs = [(q["question"], p["context"]) for p in held_out_paragraphs()[:60] for q in p["qas"][:2]][:100]
    inputs = [{k: v.astype(np.int64) for k, v in tok(q, c, truncation="only_second", max_length=384, return_tensors="np").items()}
              for q, c in pairs]
    ms = [[] for _ in a.onnx]
    for _ in range(3):
        for x in inputs:
            for i, session in enumerate(sessions):
                t = time.perf_counter()
                session.run(None, x)
                ms[i].append(1000 * (time.perf_counter() - t))
    print(f"{cpu()}, {a.threads} threads, {len(inputs)} reads x 3, tokens median {int(np.median([x['input_ids'].shape[1] for x in inputs]))}")
    first = statistics.median(ms[0])
    for path, times in zip(a.onnx, ms):
        print(f"{path}: median {statistics.median(times):.1f} ms a read ({statistics.median(times) / first:.2f}x the first)")


if __name__ == "__main__":
    main()
