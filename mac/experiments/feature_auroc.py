"""How well each confidence feature alone ranks right answers (F1 >= 0.5) in committed answer logs, beside the
calibrated confidence that combines them: which signal carries a calibration on a given set of questions.

    scripts/python.sh -m mac.experiments.feature_auroc eval-reader4-epyc-squad-1.1-validation eval-reader8-squad-1.1-validation
"""
import argparse

import numpy as np

from .reader_verifier import auroc, read_log

FEATURES = ["confidence", "reader_score", "reader_margin", "token_prob", "span_prob", "region_prob", "reader_agree", "similarity"]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("runs", nargs="+", help="eval output folders under results/ (npm run eval --out)")
    ap.add_argument("--modes", default="rag+grounded,hybrid+grounded")
    a = ap.parse_args()
    print("| run | mode | answerable | " + " | ".join(FEATURES) + " |")
    print("|---|---|---|" + "---|" * len(FEATURES))
    for run in a.runs:
        for mode in a.modes.split(","):
            rows = [r for r in read_log(run, mode) if r.get("golds")]
            right = np.array([r["f1"] >= 0.5 for r in rows], int)
            cells = []
            for name in FEATURES:
                seen = [i for i, r in enumerate(rows) if r.get(name) is not None]
                cells.append(f"{auroc(np.array([rows[i][name] for i in seen], float), right[seen]):.3f}" if seen else "–")
            print(f"| {run} | {mode} | {len(rows)} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
