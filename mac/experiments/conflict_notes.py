"""What a conflict note is worth on a bulk-loaded corpus (43rd session): of one run's answer logs, per mode, the
answers that carry a note, how many of them are right (F1 >= 0.5), how many notes name a right answer, and the
mean confidence of the noted answers against the others.

    scripts/python.sh -m mac.experiments.conflict_notes eval-free-note-squad-1.1-validation mac rag hybrid
"""
import argparse

from ..metrics import f1
from .reader_verifier import read_log


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("run", help="a report folder under results/")
    ap.add_argument("modes", nargs="+")
    x = ap.parse_args()
    for mode in x.modes:
        records = [r for r in read_log(x.run, mode) if r["golds"]]
        noted = [r for r in records if r.get("conflicts")]
        others = [r for r in records if not r.get("conflicts")]
        right = sum(r["f1"] >= 0.5 for r in noted)
        note_right = sum(max(f1(c, r["golds"]) for c in r["conflicts"]) >= 0.5 for r in noted)
        confidence = lambda rs: sum(r["confidence"] for r in rs) / max(len(rs), 1)  # noqa: E731
        print(f"{mode}: {len(noted)} of {len(records)} answers noted; right {right}, a note names a right answer {note_right}; "
              f"mean confidence noted {confidence(noted):.3f}, others {confidence(others):.3f} "
              f"(right {sum(r['f1'] >= 0.5 for r in others) / max(len(others), 1):.1%})")


if __name__ == "__main__":
    main()
