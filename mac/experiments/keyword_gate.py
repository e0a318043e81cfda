"""Keyword evidence in the similarity gate, read from answer logs (41st session).

The gate (ABSTAIN_BELOW 0.3) passes a question whose best candidate's cosine similarity reaches 0.3. The
exception measured here also passes one whose content words (its words less the keyword stopwords of
memory/keywords.ts), at least `n` of them, are all in the passage read. `npm run eval` answers with the
gate off, so each logged answer's similarity and the installed calibration's confidence (weights/
calibration.json, from the logged features) tell what any gate would have done; the passage read is the
logged source's SQuAD paragraph. Each mode's threshold is chosen again under each
gate by the installed rule (eval/selective.ts chooseThreshold: the larger of min(answerable answered,
unanswerable abstained), ties to the larger sum).

    scripts/python.sh -m mac.experiments.keyword_gate --data ../shared/data/squad/squad-2.0-train.jsonl \\
        eval-calibration-reader-h200b-squad-2.0-train eval-calibration-reader-h200b-squad-2.0-train-wide
"""
import argparse
import json
import math
import re

import numpy as np

from .reader_verifier import ROOT, answered, choose_threshold, read_log, service_features

GATE = 0.3
STOPWORDS = set((ROOT / "memory" / "keywords.ts").read_text().split("('", 1)[1].split("')", 1)[0].replace("' +\n    '", "").split())


def words(text: str) -> set[str]:
    return set(re.findall(r"[^\W_]+", text.lower()))


def covered(question: str, passage: str, n: int) -> bool:
    """Every content word of the question is in the passage, and it has at least n of them."""
    content = words(question) - STOPWORDS
    return len(content) >= n and content <= words(passage)


def confidence(r: dict, model: dict) -> float:
    """The installed calibration's P(F1 >= 0.5) for a logged answer (answer/calibrator.ts)."""
    x = service_features(r)
    z = model["intercept"] + sum(c * (x[f] - m) / s for f, c, m, s in zip(model["features"], model["coef"], model["mean"], model["std"]))
    return 1 / (1 + math.exp(-z))


def shares(rows: list[dict], p: np.ndarray, passes) -> tuple[float, float, float]:
    """The max-min threshold under a gate (reader_verifier.choose_threshold), with the share of answerable
    questions answered and of unanswerable ones abstained on at it."""
    t = choose_threshold(rows, p, passes)
    given = [answered(r, q, t, passes) for r, q in zip(rows, p)]
    answerable = [g for g, r in zip(given, rows) if r["golds"]]
    unanswerable = [g for g, r in zip(given, rows) if not r["golds"]]
    return t, sum(answerable) / len(answerable), 1 - sum(unanswerable) / len(unanswerable)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("runs", nargs="+", help="report folders under results/, pooled")
    ap.add_argument("--data", required=True, help="the SQuAD file the runs answered (the passages read)")
    ap.add_argument("--modes", default="rag+grounded,hybrid+grounded")
    a = ap.parse_args()
    contexts = {}
    with open(a.data) as f:
        for line in f:
            row = json.loads(line)
            contexts[row["id"]] = row["context"]
    models = json.loads((ROOT / "weights" / "calibration.json").read_text())["modes"]
    print("| mode | gate | threshold | answerable answered | unanswerable abstained | min | gated by cosine, answerable / unanswerable | of those let through |")
    print("|---|---|---|---|---|---|---|---|")
    for mode in a.modes.split(","):
        rows = [r for run in a.runs for r in read_log(run, mode)]
        p = np.array([confidence(r, models[mode]) for r in rows])
        passage = {id(r): " ".join(contexts.get(s, "") for s in r.get("sources") or []) for r in rows}
        gated = [r for r in rows if (r["similarity"] or 0) < GATE]
        gates = {"0.3 (installed)": lambda r: (r["similarity"] or 0) >= GATE, "none": lambda r: True}
        for n in (2, 3):
            gates[f"0.3, or all of >= {n} content words"] = (
                lambda r, n=n: (r["similarity"] or 0) >= GATE or covered(r["question"], passage[id(r)], n))
        for name, passes in gates.items():
            t, given, abstained = shares(rows, p, passes)
            through = [r for r in gated if passes(r)]
            print(f"| {mode} | {name} | {t:.3f} | {given:.3f} | {abstained:.3f} | {min(given, abstained):.3f} | "
                  f"{sum(bool(r['golds']) for r in gated)} / {sum(not r['golds'] for r in gated)} | "
                  f"{sum(bool(r['golds']) for r in through)} / {sum(not r['golds'] for r in through)} |")


if __name__ == "__main__":
    main()
