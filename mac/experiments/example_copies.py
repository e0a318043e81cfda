"""Answers that copy an answer-form example (46th session): of each answer log, those beginning with the first
word of one of mac/prompt.py's example answers ("2008", "Russia", "slave", "Dubai") that no gold answer holds,
and how many of them the second run (same questions) still gives.

    scripts/python.sh -m mac.experiments.example_copies eval-modes-squad-1.1-validation eval-no-copy-squad-1.1-validation base mac oracle
"""
import argparse
import re

from ..prompt import SHOTS
from .reader_verifier import read_log

FIRST_WORDS = sorted({re.match(r"\w+", answer).group(0) for _, answer in SHOTS})


def copies(record: dict) -> bool:
    words = [w for w in FIRST_WORDS if re.match(rf"\s*{re.escape(w)}\b", record.get("prediction") or "")]
    return bool(words) and not any(w.lower() in g.lower() for w in words for g in record["golds"])


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("before", help="a report folder under results/")
    ap.add_argument("after", help="a report folder under results/, the same questions")
    ap.add_argument("modes", nargs="+")
    x = ap.parse_args()
    for mode in x.modes:
        before, after = (read_log(run, mode) for run in (x.before, x.after))
        print(f"{mode}: {sum(map(copies, before))} of {len(before)} answers copy an example before, {sum(map(copies, after))} of {len(after)} after")


if __name__ == "__main__":
    main()
