"""How often a reader chooses the right passage, on its held-out training articles.

Each held-out question is read against its own paragraph and the K - 1 paragraphs of its article that a keyword
search ranks first among those without its answer (mac/reader_choice.py `passage_groups`, as `train --passages K`
trains). The service puts the passage whose best span beats its own "no answer" by most (its gap) in the
prompt; reported: the share of groups where that passage is the question's own, and the F1 of that best span.

    scripts/python.sh -m mac.experiments.reader_choice --onnx weights/reader-minilm.onnx
"""
import argparse
import json
from pathlib import Path

from mac.metrics import f1
from mac.reader import Reader, held_out_paragraphs
from mac.reader_choice import passage_groups


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--onnx", required=True)
    ap.add_argument("--passages", type=int, default=2)
    ap.add_argument("--questions", type=int, default=600, help="the first N groups, in a fixed shuffle")
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args()
    reader = Reader(a.threads, Path(a.onnx))
    paragraphs = held_out_paragraphs()
    answers = {q["question"]: q["answers"] for p in paragraphs for q in p["qas"]}
    chosen_own, f1s = [], []
    for question, contexts, gold, _, _ in passage_groups(paragraphs, a.passages)[:a.questions]:
        spans = [reader.best_span(question, c) for c in contexts]
        best = max(range(len(spans)), key=lambda i: spans[i][1])
        chosen_own.append(best == gold)
        f1s.append(f1(spans[best][0], answers[question]))
    n = len(f1s)
    print(json.dumps({"onnx": a.onnx, "passages": a.passages, "questions": n, "own_paragraph_chosen": round(sum(chosen_own) / n, 3),
                      "f1_chosen": round(100 * sum(f1s) / n, 1)}))


if __name__ == "__main__":
    main()
