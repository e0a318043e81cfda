"""The long-table set's parts (52nd session): grounded F1 before and after on the questions about a row of a
table's first quarter (each document's q0, read before any cut) and on the rest, and the median latency apart
for answers whose prompt was served from the prompt cache and for those that were not (a question read from
another passage than the one before it pays the whole prompt: which passage is read sets the latency more than
the change does), with the answers that got worse and the misses after.

    scripts/python.sh -m mac.experiments.long_table_parts eval-long-tables-before eval-long-tables
"""
import argparse
import statistics

from .reader_verifier import read_log
from .table_parts import print_changes

MODES = ("rag+grounded", "hybrid+grounded")
# a prompt with more tokens than this not served from the cache was prefilled (a cached one leaves the question's)
UNCACHED = 100


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("before", help="a report folder under results/")
    ap.add_argument("after", help="a report folder under results/, the same questions")
    x = ap.parse_args()
    for mode in MODES:
        before, after = ({r["id"]: r for r in read_log(run, mode)} for run in (x.before, x.after))
        ids = [i for i in before if i in after]
        first = [i for i in ids if i.endswith("-q0")]
        later = [i for i in ids if not i.endswith("-q0")]
        for name, part in (("all", ids), ("first quarter", first), ("later rows", later)):
            f1 = [100 * sum(run[i]["f1"] for i in part) / len(part) for run in (before, after)]
            print(f"{mode}, {name} ({len(part)}): F1 {f1[0]:.1f} -> {f1[1]:.1f}")
        for run, name in ((before, "before"), (after, "after")):
            rows = [run[i] for i in ids]
            cached = [r["ms"] for r in rows if r["prompt_tokens"] - r["cached_tokens"] <= UNCACHED]
            prefilled = [r["ms"] for r in rows if r["prompt_tokens"] - r["cached_tokens"] > UNCACHED]
            print(f"  {name}: median ms {statistics.median(r['ms'] for r in rows):g}; prompt cached {len(cached)}, median "
                  f"{statistics.median(cached):g}; prefilled {len(prefilled)}, median {statistics.median(prefilled):g}")
        print_changes(before, after, ids)


if __name__ == "__main__":
    main()
