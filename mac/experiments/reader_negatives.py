"""How a reader tells a paragraph that answers from one that does not, on its held-out training articles.

Each held-out question is read against its own paragraph (answerable: the best span's F1 against the gold
answers) and against the same paragraph without the sentence holding the answer (mac.reader
without_answer_sentence: on topic, answer absent). The reader's gap (best span over no answer) should be
high on the first and low on the second; its AUROC and the shares on the right side of 0 are reported.

    scripts/python.sh -m mac.experiments.reader_negatives --onnx weights/reader-minilm.onnx
"""
import argparse
import json
from pathlib import Path

import numpy as np

from mac.metrics import f1
from mac.reader import Reader, held_out_paragraphs, without_answer_sentence

from .reader_verifier import auroc


def with_deleted_twins(limit: int):
    """The first `limit` held-out questions whose answer's sentence can be deleted: (question, its paragraph, the
    paragraph without that sentence)."""
    n = 0
    for p in held_out_paragraphs():
        for q in p["qas"]:
            if n >= limit:
                return
            start = p["context"].find(q["answers"][0])
            rest = without_answer_sentence(p["context"], start, q["answers"]) if start >= 0 else None
            if rest is not None:
                n += 1
                yield q, p["context"], rest


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--onnx", required=True)
    ap.add_argument("--questions", type=int, default=400, help="the first N held-out questions that have a deleted-sentence twin (1074 in all)")
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args()
    reader = Reader(a.threads, Path(a.onnx))
    pos, neg, f1s = [], [], []
    for q, context, rest in with_deleted_twins(a.questions):
        span, gap = reader.best_span(q["question"], context)
        f1s.append(f1(span, q["answers"]))
        pos.append(gap)
        neg.append(reader.best_span(q["question"], rest)[1])
    print(json.dumps({"onnx": a.onnx, "questions": len(pos), "f1_own_paragraph": round(100 * sum(f1s) / len(f1s), 1),
                      "auroc_gap": round(auroc(np.array(pos + neg), np.array([1] * len(pos) + [0] * len(neg))), 3), "own_gap_above_0": round(sum(g > 0 for g in pos) / len(pos), 3),
                      "deleted_gap_below_0": round(sum(g < 0 for g in neg) / len(neg), 3)}))


if __name__ == "__main__":
    main()
