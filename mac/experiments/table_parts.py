"""The table set's two parts (51st session): grounded F1 and median latency on its 54 tuning questions (the first
54 of eval/tables/documents.jsonl) and its 24 blind ones (tables-19 to tables-26), before and after, with the
answers that got worse and the misses after.

    scripts/python.sh -m mac.experiments.table_parts eval-table-cells-tables-before eval-table-cells-tables
"""
import argparse
import json
import statistics

from .reader_verifier import ROOT, read_log

TUNING = 54
MODES = ("rag+grounded", "hybrid+grounded")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("before", help="a report folder under results/")
    ap.add_argument("after", help="a report folder under results/, the same questions")
    x = ap.parse_args()
    documents = [json.loads(line) for line in (ROOT / "eval" / "tables" / "documents.jsonl").read_text().splitlines()]
    order = [qa["id"] for d in documents for qa in d["qas"]]
    for mode in MODES:
        before, after = ({r["id"]: r for r in read_log(run, mode)} for run in (x.before, x.after))
        for name, part in (("tuning", order[:TUNING]), ("blind", order[TUNING:]), ("all", order)):
            ids = [i for i in part if i in before and i in after]
            f1 = [100 * sum(run[i]["f1"] for i in ids) / len(ids) for run in (before, after)]
            ms = [statistics.median(run[i]["ms"] for i in ids) for run in (before, after)]
            print(f"{mode}, {name} ({len(ids)}): F1 {f1[0]:.1f} -> {f1[1]:.1f}, median ms {ms[0]:g} -> {ms[1]:g}")
        for i in order:
            if i in before and i in after and after[i]["f1"] < before[i]["f1"]:
                print(f"  worse: {after[i]['question']} {before[i]['prediction']!r} -> {after[i]['prediction']!r}")
        for i in order:
            if i in after and after[i]["f1"] < 0.5:
                print(f"  missed after: {after[i]['question']} -> {after[i]['prediction']!r} (gold {after[i]['golds'][0]!r})")


if __name__ == "__main__":
    main()
