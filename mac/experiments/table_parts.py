"""The table set's parts (51st session): grounded F1 and median latency, before and after, on the questions of
eval/tables/documents.jsonl cut at --cuts (the first cut's tuning part was the first 54 questions and its blind
part the next 24, tables-19 to tables-26; the second cut's blind part is tables-27 to tables-34), with the answers
that got worse and the misses after.

    scripts/python.sh -m mac.experiments.table_parts eval-table-cells-tables-before eval-table-cells-tables --cuts 54
    scripts/python.sh -m mac.experiments.table_parts eval-table-cut2-tables-before eval-table-cut2-tables --cuts 54,78
"""
import argparse
import json
import statistics

from .reader_verifier import ROOT, read_log

MODES = ("rag+grounded", "hybrid+grounded")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("before", help="a report folder under results/")
    ap.add_argument("after", help="a report folder under results/, the same questions")
    ap.add_argument("--cuts", default="54", help="where the parts begin, after the first (question counts, comma-separated)")
    x = ap.parse_args()
    documents = [json.loads(line) for line in (ROOT / "eval" / "tables" / "documents.jsonl").read_text().splitlines()]
    order = [qa["id"] for d in documents for qa in d["qas"]]
    for mode in MODES:
        before, after = ({r["id"]: r for r in read_log(run, mode)} for run in (x.before, x.after))
        bounds = [0, *map(int, x.cuts.split(",")), len(order)]
        parts = [(a, order[a:b]) for a, b in zip(bounds, bounds[1:])]
        for first, part in (*parts, (None, order)):
            ids = [i for i in part if i in before and i in after]
            if not ids:
                continue
            name = "all" if first is None else f"questions {first + 1}-{first + len(ids)}"
            f1 = [100 * sum(run[i]["f1"] for i in ids) / len(ids) for run in (before, after)]
            ms = [statistics.median(run[i]["ms"] for i in ids) for run in (before, after)]
            print(f"{mode}, {name} ({len(ids)} answered): F1 {f1[0]:.1f} -> {f1[1]:.1f}, median ms {ms[0]:g} -> {ms[1]:g}")
        print_changes(before, after, order)


def print_changes(before, after, ids):
    """The answers of `ids` that got worse, then those missed after (F1 below 0.5), each on its line."""
    for i in ids:
        if i in before and i in after and after[i]["f1"] < before[i]["f1"]:
            print(f"  worse: {after[i]['question']} {before[i]['prediction']!r} -> {after[i]['prediction']!r}")
    for i in ids:
        if i in after and after[i]["f1"] < 0.5:
            print(f"  missed after: {after[i]['question']} -> {after[i]['prediction']!r} (gold {after[i]['golds'][0]!r})")


if __name__ == "__main__":
    main()
