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

from .reader_verifier import ROOT, read_log, service_features

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


def choose(rows: list[dict], passes) -> tuple[float, float, float]:
    """The max-min threshold under a gate: (threshold, answerable answered, unanswerable abstained)."""
    answerable, unanswerable = [r for r in rows if r["golds"]], [r for r in rows if not r["golds"]]
    best = (0.0, -1.0, -1.0, -1.0)  # t, worse, sum, answered
    for t in sorted({0.0, *(r["confidence"] for r in rows)}):
        answered = sum(passes(r) and r["confidence"] >= t for r in answerable) / len(answerable)
        abstained = 1 - sum(passes(r) and r["confidence"] >= t for r in unanswerable) / len(unanswerable)
        worse = min(answered, abstained)
        if worse > best[1] or (worse == best[1] and answered + abstained > best[2]):
            best = (t, worse, answered + abstained, answered)
    t, worse, total, answered = best
    return t, answered, total - answered


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
        for r in rows:
            r["confidence"] = confidence(r, models[mode])
        passage = {id(r): " ".join(contexts.get(s, "") for s in r.get("sources") or []) for r in rows}
        gated = [r for r in rows if (r["similarity"] or 0) < GATE]
        gates = {"0.3 (installed)": lambda r: (r["similarity"] or 0) >= GATE, "none": lambda r: True}
        for n in (2, 3):
            gates[f"0.3, or all of >= {n} content words"] = (
                lambda r, n=n: (r["similarity"] or 0) >= GATE or covered(r["question"], passage[id(r)], n))
        for name, passes in gates.items():
            t, answered, abstained = choose(rows, passes)
            through = [r for r in gated if passes(r)]
            print(f"| {mode} | {name} | {t:.3f} | {answered:.3f} | {abstained:.3f} | {min(answered, abstained):.3f} | "
                  f"{sum(bool(r['golds']) for r in gated)} / {sum(not r['golds'] for r in gated)} | "
                  f"{sum(bool(r['golds']) for r in through)} / {sum(not r['golds'] for r in through)} |")


if __name__ == "__main__":
    main()
