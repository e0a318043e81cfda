"""The reader with its word-embedding table stored in 8 bits: what it changes, against the reader stored in 16 bits.

The reader installed in the 32nd session stored every weight matrix in float16, cast to float32 where the graph
reads it: 45 MB, of which the word-embedding table (30522 x 384) is 23 MB. Stored in int8 with one float32 scale
per row (symmetric), cast and scaled back to float32 where the graph reads it (mac.reader word_embeddings_in_8_bits),
the file is 34 MB; onnxruntime folds the cast and the product once, at load. Both readers then read every held-out
question against its paragraph and against the paragraph without the answer's sentence (reader_negatives'
with_deleted_twins): the share of identical best spans, the largest change of the gap (best span over no answer),
and each reader's F1 and gap AUROC.

    git show b0ccf7c:weights/reader-minilm.onnx > runs/reader-16bit.onnx   # that reader, as it was installed
    scripts/python.sh -m mac.experiments.reader_embeddings_8bit --stored runs/reader-16bit.onnx --out runs/reader-emb8/reader.onnx

(installed since the 34th session: weights/reader-minilm.onnx is its --out.)
"""
import argparse
from pathlib import Path

import numpy as np

from mac.metrics import f1
from mac.reader import Reader, word_embeddings_in_8_bits

from .reader_negatives import with_deleted_twins
from .reader_verifier import auroc


def compare(before: Reader, after: Reader, questions: int):
    spans_same, gap_change, f1s, gaps = 0, 0.0, {"before": [], "after": []}, {"before": ([], []), "after": ([], [])}
    n = 0
    for q, context, rest in with_deleted_twins(questions):
        n += 1
        read = {}
        for name, reader in (("before", before), ("after", after)):
            span, gap = reader.best_span(q["question"], context)
            _, gap_without = reader.best_span(q["question"], rest)
            read[name] = (span, gap, gap_without)
            f1s[name].append(f1(span, q["answers"]))
            gaps[name][0].append(gap)
            gaps[name][1].append(gap_without)
        spans_same += read["before"][0] == read["after"][0]
        gap_change = max(gap_change, abs(read["before"][1] - read["after"][1]), abs(read["before"][2] - read["after"][2]))
    print(f"{n} held-out questions: identical best spans {spans_same}/{n}; largest gap change {gap_change:.4f}")
    for name in ("before", "after"):
        pos, neg = gaps[name]
        labels = np.r_[np.ones(len(pos)), np.zeros(len(neg))]
        print(f"  {name}: F1 {100 * np.mean(f1s[name]):.2f}, gap AUROC {auroc(np.r_[pos, neg], labels):.4f}")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--stored", required=True, help="a reader in mac.reader stored_in_16_bits' form")
    ap.add_argument("--out", required=True)
    ap.add_argument("--questions", type=int, default=1074)
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args()
    out = Path(a.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    word_embeddings_in_8_bits(Path(a.stored), out)
    print(f"{out}: {out.stat().st_size / 1e6:.1f} MB ({a.stored}: {Path(a.stored).stat().st_size / 1e6:.1f} MB)")
    compare(Reader(a.threads, Path(a.stored)), Reader(a.threads, out), a.questions)


if __name__ == "__main__":
    main()
