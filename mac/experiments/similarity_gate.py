"""The similarity gate (ABSTAIN_BELOW) beside the calibrated confidence, read from answer logs (40th session).

`npm run eval` answers with the gate off and applies it when scoring, so each logged answer's best cosine
similarity and calibrated confidence tell what any gate would have done. For each run and grounded mode, at
the installed threshold (weights/calibration.json) and gates 0.3 (the default), 0.2 and none: the share of
answerable questions answered, of unanswerable ones abstained on, and the F1 of those answered.

    scripts/python.sh -m mac.experiments.similarity_gate eval-cited-squad-2.0-validation \\
        eval-cited-squad-1.1-validation eval-cited-articles-squad-1.1-validation
"""
import argparse
import json

from .reader_verifier import ROOT, read_log

GATES = [0.3, 0.2, None]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("runs", nargs="+", help="report folders under results/")
    ap.add_argument("--modes", default="rag+grounded,hybrid+grounded")
    a = ap.parse_args()
    thresholds = {m: v["threshold"] for m, v in json.loads((ROOT / "weights" / "calibration.json").read_text())["modes"].items()}
    print("| run | mode | gate | answerable answered | unanswerable abstained | F1 of those answered |\n|---|---|---|---|---|---|")
    for run in a.runs:
        for mode in a.modes.split(","):
            rows = read_log(run, mode)
            answerable, unanswerable = [r for r in rows if r["golds"]], [r for r in rows if not r["golds"]]
            for gate in GATES:
                def answers(r):
                    return (gate is None or (r["similarity"] or 0) >= gate) and r["confidence"] >= thresholds[mode]
                given = [r for r in answerable if answers(r)]
                abstained = f"{sum(not answers(r) for r in unanswerable) / len(unanswerable):.3f}" if unanswerable else "–"
                f1 = 100 * sum(r["f1"] for r in given) / max(len(given), 1)
                print(f"| {run} | {mode} | {gate if gate is not None else 'none'} | {len(given) / len(answerable):.3f} | {abstained} | {f1:.1f} |")


if __name__ == "__main__":
    main()
