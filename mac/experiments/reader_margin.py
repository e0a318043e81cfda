"""Which of the reader's own quantities would add to a calibration beyond its score over no answer (33rd session).

Reads committed answer logs of grounded modes (the calibration's fit answers on the reserved articles), runs the
installed reader over the cited paragraph, and scores, for the cited span: its score over no answer (`gap`, what
the service's reader_score is), its probability among all spans and no answer (`prob`), that of the spans
overlapping it (`region`), its score over the best span sharing no character with it (`margin_span`, what the
service now reports as reader_margin), and the same over the larger of that span and no answer (`margin`).
Each alone (AUROC for "F1 >= 0.5"), then added to the installed features: 5-fold (five shuffles) and with each
article held out in turn.

    scripts/python.sh -m mac.experiments.reader_margin eval-calibration-reader8-installed-squad-2.0-train \\
        eval-calibration-reader8-installed-squad-2.0-train-more eval-calibration-reader8-installed-squad-2.0-train-rest
"""
import argparse

import numpy as np

from ..reader import MAX_SPAN_TOKENS, Reader
from .cited_sentence import stored_id
from .reader_verifier import auroc, ece, fit_logistic, out_of_fold, paragraphs, read_log, service_features

INSTALLED = ["token_logit", "similarity", "log_words", "span_logit", "reader_agree", "reader_score"]
ALONE = ["reader_score", "gap", "prob", "region", "margin", "margin_span"]
ADDED = [[], ["prob"], ["region"], ["margin"], ["margin_span"]]


def logsumexp(a) -> float:
    a = np.asarray(a, float)
    m = a.max()
    return float(m + np.log(np.exp(a - m).sum()))


def quantities(reader: Reader, question: str, context: str, cs: int, ce: int) -> dict | None:
    """The reader's quantities for the cited characters [cs, ce) of `context`; None where no token span is them."""
    enc = reader.tok(question, context, truncation="only_second", max_length=384, return_offsets_mapping=True, return_tensors="np")
    offsets, seq = enc.pop("offset_mapping")[0], enc.sequence_ids(0)
    feeds = {k: enc[k].astype(np.int64) for k in ("input_ids", "attention_mask", "token_type_ids")}
    start, end = [x[0] for x in reader.session.run(None, feeds)]
    ctx = [i for i, s in enumerate(seq) if s == 1]
    lo, hi = ctx[0], ctx[-1] + 1
    n = hi - lo
    allowed = np.triu(np.ones((n, n), bool)) & np.tril(np.ones((n, n), bool), MAX_SPAN_TOKENS)
    s = np.where(allowed, start[lo:hi, None] + end[None, lo:hi], -np.inf)
    none = start[0] + end[0]
    first = np.array([o[0] for o in offsets[lo:hi]])
    last = np.array([o[1] for o in offsets[lo:hi]])
    exact = np.outer(first == cs, last == ce) & allowed
    if not exact.any():
        return None
    cited = s[exact].max()
    overlapping = np.outer(first < ce, last > cs) & allowed
    total = logsumexp(np.concatenate([s[allowed], [none]]))
    apart = s[allowed & ~overlapping].max() if (allowed & ~overlapping).any() else none
    return {"gap": cited - none, "prob": cited - total, "region": logsumexp(s[overlapping]) - total,
            "margin": cited - max(apart, none), "margin_span": cited - apart}


def values(r: dict, q: dict, names: list[str]) -> list[float]:
    v = {**service_features(r), "reader_agree": r["reader_agree"], "reader_score": r["reader_score"], **q}
    return [v[n] for n in names]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("runs", nargs="+", help="eval output folders under results/ (grounded modes with a reader)")
    ap.add_argument("--modes", default="rag+grounded,hybrid+grounded")
    a = ap.parse_args()
    reader = Reader(1)
    text = paragraphs()
    text.update({stored_id(k): v for k, v in list(text.items())})
    for mode in a.modes.split(","):
        rows = []
        for run in a.runs:
            for r in read_log(run, mode):
                c = r.get("citation")
                if not r.get("golds") or not c or r.get("reader_score") is None:
                    continue
                context = text[c["document_id"]]
                at = c["start"] if context[c["start"]:c["end"]] == c["text"] else context.find(c["text"])
                q = quantities(reader, r["question"], context, at, at + len(c["text"])) if at >= 0 else None
                if q is not None:
                    rows.append((r, q))
        y = np.array([r["f1"] >= 0.5 for r, _ in rows], int)
        article = lambda r: r["citation"]["document_id"].split("#")[0].split("__")[0]
        titles = sorted({article(r) for r, _ in rows})
        held = np.array([titles.index(article(r)) for r, _ in rows])
        print(f"\n{mode}: {len(rows)} answerable with a reader's citation, {y.mean():.1%} right")
        print("alone: " + ", ".join(f"{k} {auroc(np.array([values(r, q, [k])[0] for r, q in rows]), y):.3f}" for k in ALONE))
        print("| added to the installed features | 5-fold AUROC | ECE | each article held out: AUROC | ECE |\n|---|---|---|---|---|")
        for extra in ADDED:
            x = np.array([values(r, q, INSTALLED + extra) for r, q in rows])
            folds = [out_of_fold(x, y, np.random.default_rng(seed).permutation(len(y))) for seed in range(5)]
            by_article = np.zeros(len(y))
            for t in range(len(titles)):
                by_article[held == t] = fit_logistic(x[held != t], y[held != t])(x[held == t])
            print(f"| {', '.join(extra) or '(none)'} | {np.mean([auroc(p, y) for p in folds]):.3f} | {np.mean([ece(p, y) for p in folds]):.3f} "
                  f"| {auroc(by_article, y):.3f} | {ece(by_article, y):.3f} |")


if __name__ == "__main__":
    main()
