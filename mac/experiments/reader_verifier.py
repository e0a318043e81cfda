"""The reader's agreement as a calibration feature, tried offline on committed answer logs (22nd session).

The reader (mac/reader.py, weights/reader-minilm.onnx) reads the paragraph the LM read, and its best
span's agreement with the LM's answer (token F1) and its score over no answer were tried as calibration
features beside the then-installed ones, on the answer logs the service had written before it had a reader
(results/eval-calibration-*, results/eval-confidence-*, results/eval-articles-*).

    scripts/python.sh -m mac.experiments.reader_verifier score      # -> results/reader-verifier.md

Results, the rule fixed before validation was scored, and what the service does now: docs/experiments.md.
"""
import argparse
import json
from pathlib import Path

import numpy as np

from ..data import plain_or_gzipped, read_jsonl, squad_dir
from ..metrics import f1
from ..reader import Reader

ROOT = Path(__file__).resolve().parents[2]

# The then-installed calibration's features per mode (weights/calibration.json before the reader) and the fit's and validation's logs.
INSTALLED = {"hybrid+grounded": ["token_logit", "similarity", "log_words", "span_logit"],
             "rag+grounded": ["token_logit", "similarity", "log_words", "span_logit", "region_logit"]}
FIT = ["eval-calibration-squad-2.0-train", "eval-calibration-squad-2.0-train-more", "eval-calibration-squad-2.0-train-rest"]
SQUAD11, ARTICLES, SQUAD20 = "eval-confidence-squad-1.1-validation", "eval-articles-squad-1.1-validation", "eval-confidence-squad-2.0-validation"
SIMILARITY_GATE = 0.3  # the service's ABSTAIN_BELOW on whole passages, which logs before the 47th session were made under
SENTENCE_GATE = 0.36  # ABSTAIN_BELOW since, on passages or their sentences (logs with `relevance`)


# ---- scoring ----------------------------------------------------------------------------------------------

def squad_paragraphs():
    """Every paragraph record of the SQuAD files (id, title, context, qas)."""
    for path in squad_dir().glob("*.jsonl"):
        for line in open(path):
            yield json.loads(line)


def paragraphs() -> dict[str, str]:
    return {p["id"]: p["context"] for p in squad_paragraphs()}


def read_log(run: str, mode: str) -> list[dict]:
    """An answer log of `npm run eval` (gzipped once its run finished: eval/mode-log.ts), its header line dropped."""
    return read_jsonl(plain_or_gzipped(ROOT / "results" / run / f"{mode}.jsonl"))[1:]


def logit(p: float) -> float:
    q = min(max(p, 1e-4), 1 - 1e-4)
    return float(np.log(q / (1 - q)))


def service_features(r: dict) -> dict[str, float]:
    """A logged answer's calibration features as the service computes them (answer/calibrator.ts featureValues);
    the reader's signals read 0 where a log lacks them."""
    return {"token_logit": logit(r.get("token_prob", r.get("confidence", 0))), "similarity": r.get("similarity") or 0.0,
            "log_words": float(np.log1p(len(r["prediction"].split()))),
            "span_logit": logit(0.5 if r.get("span_prob") is None else r["span_prob"]),
            "region_logit": logit(0.5 if r.get("region_prob") is None else r["region_prob"]),
            "reader_agree": r.get("reader_agree") or 0.0, "reader_score": r.get("reader_score") or 0.0,
            "reader_margin": r.get("reader_margin") or 0.0}


def features(r: dict, names: list[str]) -> list[float]:
    """The service's features plus the reader's agreement and gap, which this experiment computes (so a record must have them)."""
    v = {**service_features(r), "reader_agree": r["reader_agree"], "reader_gap": r["reader_gap"]}
    return [v[n] for n in names]


def fit_logistic(x: np.ndarray, y: np.ndarray, l2: float = 1.0, iterations: int = 50):
    """eval/logistic.ts: standardised features, L2 on the weights (not the intercept), Newton steps."""
    mean, std = x.mean(0), x.std(0)
    std[std == 0] = 1
    design = lambda rows: np.hstack([np.ones((len(rows), 1)), (rows - mean) / std])
    z, w = design(x), np.zeros(x.shape[1] + 1)
    penalty = np.eye(len(w)) * l2
    penalty[0, 0] = 0
    for _ in range(iterations):
        p = 1 / (1 + np.exp(-z @ w))
        step = np.linalg.solve((z * (p * (1 - p))[:, None]).T @ z + penalty, z.T @ (p - y) + penalty @ w)
        w -= step
        if np.abs(step).max() < 1e-9:
            break
    return lambda rows: 1 / (1 + np.exp(-design(rows) @ w))


def ece(p: np.ndarray, y: np.ndarray, bins: int = 10) -> float:
    b = np.minimum((p * bins).astype(int), bins - 1)
    return float(sum(abs(p[b == k].sum() - y[b == k].sum()) for k in range(bins)) / len(p))


def auroc(p: np.ndarray, y: np.ndarray) -> float:
    order = np.argsort(p, kind="mergesort")
    ranks = np.empty(len(p))
    ranks[order] = np.arange(1, len(p) + 1)
    for value in np.unique(p):  # ties share their mean rank
        ranks[p == value] = ranks[p == value].mean()
    pos = y.sum()
    return float((ranks[y == 1].sum() - pos * (pos + 1) / 2) / (pos * (len(y) - pos)))


def out_of_fold(x: np.ndarray, y: np.ndarray, order: np.ndarray, k: int = 5) -> np.ndarray:
    """Each row's probability from the fit on the other folds; fold f holds order[f::k]."""
    p = np.zeros(len(y))
    for fold in range(k):
        test = np.zeros(len(y), bool)
        test[order[fold::k]] = True
        p[test] = fit_logistic(x[~test], y[~test])(x[test])
    return p


def gate_evidence(r: dict) -> float | None:
    """What the similarity gate compares (eval/selective.ts gateEvidence): `relevance`, retrieval's best,
    or in logs before the 47th session the best similarity among the passages read."""
    return r["relevance"] if r.get("relevance") is not None else r.get("similarity")


def passes_gate(r: dict) -> bool:
    """The service's similarity gate (ABSTAIN_BELOW) lets the question through: as it was when the log was made."""
    gate = SENTENCE_GATE if r.get("relevance") is not None else SIMILARITY_GATE
    return not (gate_evidence(r) is not None and gate_evidence(r) < gate)


def answered(r: dict, p: float, threshold: float, passes=passes_gate) -> bool:
    return passes(r) and p >= threshold


def choose_threshold(records: list[dict], p: np.ndarray, passes=passes_gate) -> float:
    """eval/selective.ts chooseThreshold: the best worse side of answerable answered / unanswerable abstained
    (`passes`: the gate before the threshold, the service's similarity gate unless another is measured)."""
    best = (0.0, -1.0, -1.0)
    for t in sorted({0.0, *p.tolist()}):
        a = [answered(r, q, t, passes) for r, q in zip(records, p)]
        share = np.mean([x for x, r in zip(a, records) if r["golds"]])
        abstained = 1 - np.mean([x for x, r in zip(a, records) if not r["golds"]])
        if min(share, abstained) > best[1] or (min(share, abstained) == best[1] and share + abstained > best[2]):
            best = (t, min(share, abstained), share + abstained)
    return best[0]


def score(a):
    reader, text, cache = Reader(a.threads), paragraphs(), {}

    def with_reader(records: list[dict]) -> list[dict]:
        for r in records:
            source = (r.get("sources") or [None])[0]
            key = (r["question"], source)
            if key not in cache:
                cache[key] = reader.best_span(r["question"], text[source]) if source in text else ("", -10.0)
            span, gap = cache[key]
            r["reader_agree"] = f1(r["prediction"], [span]) if span else 0.0
            r["reader_gap"] = max(-10.0, min(10.0, gap))
        return records

    lines = ["| mode | features | 5-fold AUROC / ECE (fit) | the same, mean of 20 random splits | SQuAD 1.1 first 500: ECE / AUROC | 8 articles: ECE / AUROC | SQuAD 2.0 subset: answered / abstained / F1 × | citation precision (first 500) |",
             "|---|---|---|---|---|---|---|---|"]
    for mode, installed in INSTALLED.items():
        fit = with_reader(list({r["id"]: r for run in FIT for r in read_log(run, mode)}.values()))
        answerable = [r for r in fit if r["golds"]]
        y = np.array([float(r["f1"] >= 0.5) for r in answerable])
        logs = {name: with_reader(read_log(name, mode)) for name in (SQUAD11, ARTICLES, SQUAD20)}
        logs[SQUAD11] = logs[SQUAD11][:500]
        for extra in ([], ["reader_agree"], ["reader_gap"], ["reader_agree", "reader_gap"]):
            names = installed + extra
            x = np.array([features(r, names) for r in answerable])
            oof = out_of_fold(x, y, np.arange(len(y)))  # interleaved folds, as eval/calibrate.ts
            splits = [out_of_fold(x, y, np.random.RandomState(seed).permutation(len(y))) for seed in range(20)]
            model = fit_logistic(x, y)
            prob = lambda records: model(np.array([features(r, names) for r in records]))
            threshold = choose_threshold(fit, prob(fit))
            row = [mode, " + ".join(["installed", *extra]), f"{auroc(oof, y):.3f} / {ece(oof, y):.3f}",
                   f"{np.mean([auroc(p, y) for p in splits]):.3f} / {np.mean([ece(p, y) for p in splits]):.3f}"]
            for name in (SQUAD11, ARTICLES):
                rs = [r for r in logs[name] if r["golds"]]
                p, yv = prob(rs), np.array([float(r["f1"] >= 0.5) for r in rs])
                row.append(f"{ece(p, yv):.3f} / {auroc(p, yv):.3f}")
            rs, p = logs[SQUAD20], prob(logs[SQUAD20])
            given = [answered(r, q, threshold) for r, q in zip(rs, p)]
            share = np.mean([g for g, r in zip(given, rs) if r["golds"]])
            abstained = 1 - np.mean([g for g, r in zip(given, rs) if not r["golds"]])
            f1_all = np.mean([r["f1"] for r in rs if r["golds"]])
            f1_answered = np.mean([r["f1"] for g, r in zip(given, rs) if r["golds"] and g])
            row.append(f"{100 * share:.1f}% / {100 * abstained:.1f}% / {f1_answered / f1_all:.2f}×")
            rs, p = logs[SQUAD11], prob(logs[SQUAD11])
            cited = [r["citation"]["correct"] for r, q in zip(rs, p) if r.get("citation") and answered(r, q, threshold)]
            row.append(f"{np.mean(cited):.3f}")
            lines.append("| " + " | ".join(row) + " |")
            print(lines[-1], flush=True)
    out = ROOT / "results/reader-verifier.md"
    out.write_text("# The reader's agreement with the LM as a calibration feature\n\n"
                   "`scripts/python.sh -m mac.experiments.reader_verifier score` (weights/reader-minilm.onnx; "
                   "logs: the installed calibration's fit runs and the committed validation logs). Rule and reading: "
                   "docs/experiments.md.\n\n" + "\n".join(lines) + "\n")
    print(f"wrote {out}")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="command", required=True)
    s = sub.add_parser("score")
    s.add_argument("--threads", type=int, default=2)
    a = ap.parse_args()
    score(a)


if __name__ == "__main__":
    main()
