"""Would citing the answer's sentence, instead of the answer's span, make citations precise?

Citation precision counts a grounded answer's citation right when it lies in the gold paragraph and its text
holds a gold answer. Until the 39th session the service cited the answer's own span; this reads an eval's
answer log from then and scores the sentence around each cited span instead (mac.reader's sentence split),
over all answers and over those at or above a confidence threshold (the mode's default, from the eval's
report). The service now cites the sentence itself (answer/citation.ts, whose split keeps initials and titles).

    scripts/python.sh -m mac.experiments.cited_sentence results/eval-reader4-squad-1.1-validation/rag+grounded.jsonl.gz --threshold 0.685
"""
import argparse
import gzip
import json
import re

from mac.data import read_jsonl
from mac.metrics import normalize_answer
from mac.reader import sentence_bounds


def sentence_around(context: str, start: int, end: int) -> str:
    bounds = sentence_bounds(context)
    lo = max(b for b in bounds if b <= start)
    hi = min(b for b in bounds if b >= end)
    return context[lo:hi].strip()


def stored_id(paragraph_id: str) -> str:
    """A SQuAD paragraph's document id as the eval stores it: bench/squad.ts documentId (JavaScript's ASCII \\w)."""
    return re.sub(r"[^\w.:/@#-]", "_", paragraph_id, flags=re.ASCII)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("log", help="an eval's <mode>.jsonl.gz (a grounded mode)")
    ap.add_argument("--threshold", type=float, default=0.0, help="confidence at or above which an answer is given")
    ap.add_argument("--data", default="../shared/data/squad/squad-1.1-validation.jsonl")
    a = ap.parse_args()
    contexts, gold = {}, {}
    for p in read_jsonl(a.data):
        for pid in (p["id"], stored_id(p["id"])):
            contexts[pid] = p["context"]
        for q in p["qas"]:
            gold[q["id"]] = {p["id"], stored_id(p["id"])}
    with gzip.open(a.log, "rt") as f:
        records = [json.loads(line) for line in f][1:]
    for name, threshold in (("all", float("-inf")), (f"confidence >= {a.threshold}", a.threshold)):
        given = [r for r in records if r.get("citation") and not r.get("abstained") and r["confidence"] >= threshold]
        span = sentence = 0
        words = []
        for r in given:
            c, golds = r["citation"], [normalize_answer(x) for x in r["golds"]]
            context = contexts[c["document_id"]]
            at = c.get("start", -1)  # the oracle mode logs no offsets
            start = at if context[at:at + len(c["text"])] == c["text"] else context.find(c["text"])
            cited = sentence_around(context, start, start + len(c["text"]))
            words.append(len(cited.split()))
            in_gold = c["document_id"] in gold[r["id"]]
            span += c["correct"]
            sentence += in_gold and any(g in normalize_answer(cited) for g in golds)
        words.sort()
        print(f"{name}: {len(given)} cited; precision, the span {span / len(given):.3f}, its sentence "
              f"{sentence / len(given):.3f}; the sentence's words median {words[len(words) // 2]}, "
              f"90th percentile {words[int(0.9 * len(words))]}")


if __name__ == "__main__":
    main()
