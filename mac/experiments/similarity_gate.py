"""The similarity gate (ABSTAIN_BELOW) beside the calibrated confidence, read from answer logs (40th session).

`npm run eval` answers with the gate off and applies it when scoring, so each logged answer's gate evidence
(`relevance`, retrieval's best cosine similarity; in logs before the 47th session the best among the passages
read) and calibrated confidence tell what any gate would have done. For each run and grounded mode, at
the installed threshold (weights/calibration.json) and gates 0.36 (the default since the 47th session), 0.3
(the default before), 0.2 and none: the share of
answerable questions answered, of unanswerable ones abstained on, and the F1 of those answered.

    scripts/python.sh -m mac.experiments.similarity_gate eval-cited-squad-2.0-validation \\
        eval-cited-squad-1.1-validation eval-cited-articles-squad-1.1-validation

`--thresholds GATE=FILE` reads a gate's thresholds from a calibration file instead (one that
`npm run calibrate -- ... --gate=GATE --out FILE` chose under that gate; 46th session), and the table also
counts the answerable questions answered right (F1 >= 0.5) and the unanswerable ones abstained on;
`--threshold X` adds each gate at one threshold X for every mode:

    scripts/python.sh -m mac.experiments.similarity_gate eval-product --thresholds 0.2=runs/cal-gate-0.2.json --threshold 0.3
"""
import argparse
import json

from .reader_verifier import ROOT, gate_evidence, read_log

GATES = [0.36, 0.3, 0.2, None]  # 0.36: ABSTAIN_BELOW since the 47th session (on sentences: logs with `relevance`); 0.3 before


def thresholds_of(path) -> dict:
    return {m: v["threshold"] for m, v in json.loads(path.read_text())["modes"].items()}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("runs", nargs="+", help="report folders under results/")
    ap.add_argument("--modes", default="rag+grounded,hybrid+grounded")
    ap.add_argument("--thresholds", action="append", default=[], help="GATE=FILE: that gate's thresholds from a calibration file")
    ap.add_argument("--threshold", type=float, action="append", default=[], help="also each gate at this one threshold for every mode")
    a = ap.parse_args()
    installed = thresholds_of(ROOT / "weights" / "calibration.json")
    chosen = {float(g): thresholds_of(ROOT / f) for g, f in (t.split("=", 1) for t in a.thresholds)}
    print("| run | mode | gate | threshold | answerable answered | unanswerable abstained | F1 of those answered | answered right, abstained (counts) |\n"
          "|---|---|---|---|---|---|---|---|")
    for run in a.runs:
        for mode in a.modes.split(","):
            rows = read_log(run, mode)
            answerable, unanswerable = [r for r in rows if r["golds"]], [r for r in rows if not r["golds"]]
            for gate, threshold in [(g, t) for g in GATES for t in [chosen.get(g, installed)[mode], *a.threshold]]:
                def answers(r):
                    return (gate is None or (gate_evidence(r) or 0) >= gate) and r["confidence"] >= threshold
                given = [r for r in answerable if answers(r)]
                held = sum(not answers(r) for r in unanswerable)
                abstained = f"{held / len(unanswerable):.3f}" if unanswerable else "–"
                f1 = 100 * sum(r["f1"] for r in given) / max(len(given), 1)
                right = sum(r["f1"] >= 0.5 for r in given)
                print(f"| {run} | {mode} | {gate if gate is not None else 'none'} | {threshold:.4f} | {len(given) / len(answerable):.3f} | "
                      f"{abstained} | {f1:.1f} | {right} of {len(answerable)}, {held} of {len(unanswerable)} |")


if __name__ == "__main__":
    main()
