"""Where two modes' F1 differ by what they read (40th session): of one run's answer logs, the questions on which
mode B read the gold paragraph and mode A did not, both modes' F1 there, and what B would gain over A if it
answered all of them perfectly; and the F1 of each on the questions both read it.

    scripts/python.sh -m mac.experiments.gold_read eval-cited-squad-1.1-validation rag+grounded hybrid+grounded
"""
import argparse

from .reader_verifier import read_log


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("run", help="a report folder under results/")
    ap.add_argument("a")
    ap.add_argument("b")
    x = ap.parse_args()
    a, b = ({r["id"]: r for r in read_log(x.run, m) if r["golds"]} for m in (x.a, x.b))
    ids = [i for i in a if i in b]
    mean = lambda rs: 100 * sum(r["f1"] for r in rs) / max(len(rs), 1)  # noqa: E731
    only_b = [i for i in ids if b[i]["gold_in_context"] and not a[i]["gold_in_context"]]
    both = [i for i in ids if b[i]["gold_in_context"] and a[i]["gold_in_context"]]
    print(f"{len(ids)} questions; {x.b} minus {x.a}: {mean([b[i] for i in ids]) - mean([a[i] for i in ids]):+.1f} F1")
    print(f"gold read by {x.b} only: {len(only_b)} ({len(only_b) / len(ids):.1%}); F1 there {x.b} {mean([b[i] for i in only_b]):.1f}, "
          f"{x.a} {mean([a[i] for i in only_b]):.1f}; all of them right would add "
          f"{100 * sum(1 - b[i]['f1'] for i in only_b) / len(ids):.1f} to {x.b}")
    print(f"gold read by {x.a} only: {sum(a[i]['gold_in_context'] and not b[i]['gold_in_context'] for i in ids)}")
    print(f"gold read by both: {len(both)}; F1 {x.b} {mean([b[i] for i in both]):.1f}, {x.a} {mean([a[i] for i in both]):.1f}")


if __name__ == "__main__":
    main()
