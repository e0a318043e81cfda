"""Would the question's words around the cited span tell right answers from wrong ones (38th session)?

A confident wrong answer often comes from a passage, or a sentence, about something else: a date from the
paragraph on another broadcast, a name from the sentence before the one the question asks about. Two features
read what the calibration does not: the share of the question's content words (lower case, without the
service's keyword stopwords, a plural "s" dropped) found in the cited span's sentence (`q_sentence`, the
sentence split of mac/reader.py) and in its whole paragraph (`q_passage`). Both are scored on committed answer
logs of the grounded modes, as mac.experiments.reader_margin scores the reader's quantities: each alone, then
added to the installed features on the installed fit's answers (5-fold over five shuffles, and each article held
out in turn); then fitted on all of them and applied to the tuning set's answers (the reader's held-out
articles), where AUROC and the citation precision of the answers given at the threshold refitted by the
service's rule (eval/selective.ts, unanswerable fit questions included) are compared with the installed features.

    scripts/python.sh -m mac.experiments.question_overlap
"""
import argparse
import gzip
import json
import re
from pathlib import Path

import numpy as np

from ..reader import sentence_bounds
from .cited_sentence import stored_id
from .reader_verifier import auroc, choose_threshold, ece, answered, fit_logistic, out_of_fold, read_log, service_features, squad_paragraphs

STOPWORDS = set(("a an and are as at be been but by did do does for from had has have how i in is it its of on or that "
                 "the their there these this those to was were what when where which who whom whose why will with").split())
INSTALLED = {"rag+grounded": ["token_logit", "similarity", "log_words", "span_logit", "region_logit", "reader_agree", "reader_score", "reader_margin"],
             "hybrid+grounded": ["token_logit", "similarity", "log_words", "span_logit", "reader_agree", "reader_score", "reader_margin"]}
ADDED = [[], ["q_sentence"], ["q_passage"], ["q_sentence", "q_passage"]]
FIT_RUNS = ["eval-calibration-reader-h200b-squad-2.0-train", "eval-calibration-reader-h200b-squad-2.0-train-wide"]


def words(text: str) -> set[str]:
    return {w[:-1] if len(w) > 3 and w.endswith("s") else w for w in re.findall(r"[^\W_]+", text.lower()) if w not in STOPWORDS}


def overlap(question: str, context: str, citation: dict | None) -> dict:
    """The question's content words found in the cited sentence and in the cited paragraph (0 without a citation)."""
    q = words(question)
    if not citation or not q or context is None:
        return {"q_sentence": 0.0, "q_passage": 0.0}
    at = citation["start"] if context[citation["start"]:citation["end"]] == citation["text"] else context.find(citation["text"])
    bounds = sentence_bounds(context)
    lo = max(b for b in bounds if b <= max(at, 0))
    hi = min(b for b in bounds if b >= max(at, 0) + len(citation["text"]))
    return {"q_sentence": len(q & words(context[lo:hi])) / len(q), "q_passage": len(q & words(context)) / len(q)}


def values(r: dict, extra: dict, names: list[str]) -> list[float]:
    v = {**service_features(r), **extra}
    return [v[n] for n in names]


def rows_of(records: list[dict], text: dict) -> list[tuple[dict, dict]]:
    out = []
    for r in records:
        if r.get("abstained") and not r.get("prediction"):
            continue  # nothing answered (no source above the similarity gate): no features to read
        c = r.get("citation")
        out.append((r, overlap(r["question"], text.get(c["document_id"]) if c else None, c)))
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tuning", default="runs/tune/t-h200b", help="the tuning set's answers (npm run eval --out)")
    ap.add_argument("--modes", default="rag+grounded,hybrid+grounded")
    a = ap.parse_args()
    text, title_of = {}, {}
    for p in squad_paragraphs():
        text[p["id"]] = p["context"]
        title_of.update({q["id"]: p["title"] for q in p["qas"]})
    text.update({stored_id(k): v for k, v in list(text.items())})
    for mode in a.modes.split(","):
        fit = rows_of([r for run in FIT_RUNS for r in read_log(run, mode)], text)
        with gzip.open(Path(a.tuning) / f"{mode}.jsonl.gz", "rt") as f:
            tune = rows_of([json.loads(line) for line in f][1:], text)
        scored = [(r, q) for r, q in fit if r.get("golds")]
        y = np.array([r["f1"] >= 0.5 for r, _ in scored], int)
        titles = sorted({title_of[r["id"]] for r, _ in scored})
        held = np.array([titles.index(title_of[r["id"]]) for r, _ in scored])
        ty = np.array([r["f1"] >= 0.5 for r, _ in tune], int)
        print(f"\n{mode}: fit {len(scored)} answerable ({y.mean():.1%} right) + {len(fit) - len(scored)} unanswerable; tuning {len(tune)}")
        print("alone, fit / tuning: " + ", ".join(
            f"{k} {auroc(np.array([q[k] for _, q in scored]), y):.3f} / {auroc(np.array([q[k] for _, q in tune]), ty):.3f}" for k in ("q_sentence", "q_passage")))
        print("| added to the installed features | 5-fold AUROC | ECE | each article held out: AUROC | ECE "
              "| tuning: AUROC | ECE | threshold | answered | citation precision, answered |\n|---|---|---|---|---|---|---|---|---|---|")
        for extra in ADDED:
            names = INSTALLED[mode] + extra
            x = np.array([values(r, q, names) for r, q in scored])
            folds = [out_of_fold(x, y, np.random.default_rng(seed).permutation(len(y))) for seed in range(5)]
            by_article = np.zeros(len(y))
            for t in range(len(titles)):
                by_article[held == t] = fit_logistic(x[held != t], y[held != t])(x[held == t])
            model = fit_logistic(x, y)
            threshold = choose_threshold([r for r, _ in fit], model(np.array([values(r, q, names) for r, q in fit])))
            tp = model(np.array([values(r, q, names) for r, q in tune]))
            given = [r for (r, _), p in zip(tune, tp) if answered(r, p, threshold) and r.get("citation")]
            precision = np.mean([r["citation"]["correct"] for r in given]) if given else float("nan")
            print(f"| {', '.join(extra) or '(installed)'} | {np.mean([auroc(p, y) for p in folds]):.3f} | {np.mean([ece(p, y) for p in folds]):.3f} "
                  f"| {auroc(by_article, y):.3f} | {ece(by_article, y):.3f} | {auroc(tp, ty):.3f} | {ece(tp, ty):.3f} | {threshold:.3f} "
                  f"| {len(given) / len(tune):.3f} | {precision:.3f} |")


if __name__ == "__main__":
    main()
