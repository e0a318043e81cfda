"""The similarity gate on sentences against the gate on whole passages, by the rule written before the run
(docs/experiments.md, "The similarity gate reads sentences", 47th session).

Reads runs/gate/*.jsonl (`node --import tsx eval/gate-evidence.ts`: for each question, `passage`, the best
cosine to the passages retrieval proposes, and `sentence`, the better of that and the best cosine to one of
their sentences) and the product set's answer logs (results/eval-product, answered with the gate off, each
answer's calibrated confidence recomputed from the installed calibration):
(1) each evidence's threshold: the largest multiple of 0.01 refusing at most 1% of the reserved articles'
    answerable questions;
(2) the share of foreign questions (held-out tuning articles, asked of the reserved bank) each refuses there;
(3) on the product set, per mode: answerable questions answered right and unanswerable ones abstained on,
    gate plus the installed threshold.

    scripts/python.sh -m mac.experiments.sentence_gate
"""
import argparse
import json
import math
from pathlib import Path

from .keyword_gate import confidence
from .reader_verifier import ROOT, read_log

BUDGET = 0.01
INSTALLED_GATE = 0.3
MODES = ["rag+grounded", "hybrid+grounded", "mac"]


def rows(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def threshold(answerable: list[float]) -> float:
    """The largest multiple of 0.01 below which at most BUDGET of the answerable questions fall."""
    best = 0.0
    for step in range(0, 101):
        t = step / 100
        if sum(x < t for x in answerable) <= BUDGET * len(answerable):
            best = t
    return best


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--gate", default="runs/gate", help="eval/gate-evidence.ts's folder")
    ap.add_argument("--product", default="eval-product", help="the product set's report folder under results/")
    a = ap.parse_args()
    folder = ROOT / a.gate
    reserved, foreign, product = (rows(folder / f"{name}.jsonl") for name in ("reserved", "foreign", "product"))
    gates = {}
    print("| evidence | threshold (1% of reserved answerable refused) | reserved answerable refused | reserved unanswerable refused | foreign refused |")
    print("|---|---|---|---|---|")
    for evidence in ("passage", "sentence"):
        answerable = [r[evidence] for r in reserved if r["answerable"]]
        t = threshold(answerable)
        gates[evidence] = t
        unanswerable = [r[evidence] for r in reserved if not r["answerable"]]
        share = lambda xs: sum(x < t for x in xs) / len(xs)
        print(f"| {evidence} | {t:.2f} | {share(answerable):.3f} of {len(answerable)} | {share(unanswerable):.3f} of {len(unanswerable)} | "
              f"{share([r[evidence] for r in foreign]):.3f} of {len(foreign)} |")
    evidence = {r["id"]: r for r in product}
    models = json.loads((ROOT / "weights" / "calibration.json").read_text())["modes"]
    print("\n| product set, mode | gate | answerable refused by the gate | answered right (of 36) | unanswerable abstained (of 24) |")
    print("|---|---|---|---|---|")
    for mode in MODES:
        logged = read_log(a.product, mode)
        for name, key, t in [("passage 0.3 (installed)", "passage", INSTALLED_GATE), (f"passage {gates['passage']:.2f}", "passage", gates["passage"]),
                             (f"sentence {gates['sentence']:.2f}", "sentence", gates["sentence"])]:
            passes = lambda r: evidence[r["id"]][key] is not None and evidence[r["id"]][key] >= t
            answers = lambda r: passes(r) and confidence(r, models[mode]) >= models[mode]["threshold"]
            answerable = [r for r in logged if r["golds"]]
            unanswerable = [r for r in logged if not r["golds"]]
            print(f"| {mode} | {name} | {sum(not passes(r) for r in answerable)} | {sum(answers(r) and r['f1'] >= 0.5 for r in answerable)} | "
                  f"{sum(not answers(r) for r in unanswerable)} |")


if __name__ == "__main__":
    main()
