"""An extractive reader as a verifier of the LM's grounded answers (an experiment, not in the service).

The reader is all-MiniLM-L6-v2 (the retrieval encoder's base model) with a start/end head, [CLS] meaning
"no answer", fine-tuned on squad-1.1-train-full: each question with its own paragraph, plus (a third of
the rows) questions paired with another paragraph of their article, labelled no answer. It never answers:
it reads the paragraph the LM read and its best span is compared with the LM's answer. That agreement
(token F1) is tried as a calibration feature beside the installed ones, on the answer logs the service
wrote (results/eval-calibration-*, results/eval-confidence-*, results/eval-articles-*).

    OMP_NUM_THREADS=1 scripts/python.sh -m mac.experiments.reader_verifier train --minutes 75
    scripts/python.sh -m mac.experiments.reader_verifier export     # -> weights/reader-minilm-int8.onnx
    scripts/python.sh -m mac.experiments.reader_verifier score      # -> results/reader-verifier.md

train resumes from runs/reader/state.pt. score needs no PyTorch model: it runs the int8 ONNX reader.
Results and the rule fixed before validation was scored: docs/experiments.md.
"""
import argparse
import json
import os
import random
import time
from pathlib import Path

import numpy as np

from ..base_models import minilm_dir
from ..data import squad_dir
from ..metrics import f1

ROOT = Path(__file__).resolve().parents[2]
RUN = ROOT / "runs/reader"
ONNX = ROOT / "weights/reader-minilm-int8.onnx"
MAX_SPAN_TOKENS = 30

# The installed calibration's features per mode (weights/calibration.json) and the fit's and validation's logs.
INSTALLED = {"hybrid+grounded": ["token_logit", "similarity", "log_words", "span_logit"],
             "rag+grounded": ["token_logit", "similarity", "log_words", "span_logit", "region_logit"]}
FIT = ["eval-calibration-squad-2.0-train", "eval-calibration-squad-2.0-train-more", "eval-calibration-squad-2.0-train-rest"]
SQUAD11, ARTICLES, SQUAD20 = "eval-confidence-squad-1.1-validation", "eval-articles-squad-1.1-validation", "eval-confidence-squad-2.0-validation"
SIMILARITY_GATE = 0.3  # the service's ABSTAIN_BELOW


# ---- training -------------------------------------------------------------------------------------------

def training_rows(neg_share: float, dev_articles: int, seed: int = 0):
    paragraphs = [json.loads(line) for line in open(squad_dir() / "squad-1.1-train-full.jsonl")]
    titles = sorted({p["title"] for p in paragraphs})
    random.Random(1).shuffle(titles)
    dev = set(titles[:dev_articles])
    by_title: dict[str, list] = {}
    for p in paragraphs:
        by_title.setdefault(p["title"], []).append(p)
    rng, rows = random.Random(seed), []
    for p in paragraphs:
        if p["title"] in dev:
            continue
        for q in p["qas"]:
            start = p["context"].find(q["answers"][0])
            if start < 0:
                continue
            rows.append((q["question"], p["context"], start, start + len(q["answers"][0])))
            if rng.random() < neg_share / (1 - neg_share):
                others = [o for o in by_title[p["title"]] if o["id"] != p["id"] and not any(a in o["context"] for a in q["answers"])]
                if others:
                    rows.append((q["question"], rng.choice(others)["context"], -1, -1))
    rng.shuffle(rows)
    return rows, sorted(dev)


def encode_batch(tok, batch, max_len: int):
    """Token ids plus each row's start/end token (0, [CLS], when there is no answer or truncation cut it)."""
    import torch
    enc = tok([b[0] for b in batch], [b[1] for b in batch], truncation="only_second", max_length=max_len,
              padding=True, return_offsets_mapping=True, return_tensors="pt")
    starts, ends = [], []
    for i, (_, _, char_start, char_end) in enumerate(batch):
        start = end = 0
        if char_start >= 0:
            for t, ((a, b), seq) in enumerate(zip(enc["offset_mapping"][i].tolist(), enc.sequence_ids(i))):
                if seq != 1:
                    continue
                if not start and (a <= char_start < b or a >= char_start):
                    start = t
                if a < char_end <= b:
                    end = t
            if not start or not end or end < start:
                start = end = 0
        starts.append(start)
        ends.append(end)
    enc.pop("offset_mapping")
    return enc, torch.tensor(starts), torch.tensor(ends)


def train(a):
    import torch
    from tqdm import tqdm
    from transformers import AutoModelForQuestionAnswering, AutoTokenizer
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    RUN.mkdir(parents=True, exist_ok=True)
    rows, dev = training_rows(a.neg_share, a.dev_articles)
    print(f"{len(rows)} training rows ({sum(r[2] < 0 for r in rows)} without an answer); held-out articles {dev}", flush=True)
    tok = AutoTokenizer.from_pretrained(minilm_dir())
    model = AutoModelForQuestionAnswering.from_pretrained(minilm_dir())
    opt = torch.optim.AdamW(model.parameters(), lr=a.lr, weight_decay=0.01)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min(1, (s + 1) / 100) * max(0.05, 1 - s / a.steps))
    state, step = RUN / "state.pt", 0
    if state.exists():
        saved = torch.load(state, weights_only=False)
        model.load_state_dict(saved["model"]); opt.load_state_dict(saved["opt"]); sched.load_state_dict(saved["sched"])
        step = saved["step"]
    started, ema = time.time(), None
    bar = tqdm(total=a.steps, initial=step, desc="reader", mininterval=30)
    model.train()
    while step < a.steps and (time.time() - started) / 60 < a.minutes:
        enc, s, e = encode_batch(tok, rows[(step * a.batch) % len(rows):][:a.batch], a.max_len)
        loss = model(**enc, start_positions=s, end_positions=e).loss
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step(); sched.step(); opt.zero_grad()
        step += 1
        ema = loss.item() if ema is None else 0.98 * ema + 0.02 * loss.item()
        bar.set_postfix(loss=f"{ema:.3f}", refresh=False)
        bar.update(1)
        if step % 100 == 0 or step == a.steps:
            torch.save({"model": model.state_dict(), "opt": opt.state_dict(), "sched": sched.state_dict(), "step": step}, str(state) + ".tmp")
            os.replace(str(state) + ".tmp", state)
    model.save_pretrained(RUN / "model")
    tok.save_pretrained(RUN / "model")
    (RUN / "model" / "training.json").write_text(json.dumps({"steps": step, "held_out_articles": dev, **vars(a)}, default=str))


# ---- export ---------------------------------------------------------------------------------------------

def export(a):
    import logging

    import onnx
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from transformers import AutoModelForQuestionAnswering, AutoTokenizer
    model = AutoModelForQuestionAnswering.from_pretrained(RUN / "model").eval()
    tok = AutoTokenizer.from_pretrained(RUN / "model")
    enc = tok("What?", "A paragraph.", return_tensors="pt")
    fp32 = RUN / "reader.onnx"
    names = ["input_ids", "attention_mask", "token_type_ids"]
    torch.onnx.export(model, tuple(enc[n] for n in names), str(fp32), input_names=names, output_names=["start_logits", "end_logits"],
                      dynamic_axes={n: {0: "batch", 1: "tokens"} for n in names + ["start_logits", "end_logits"]}, opset_version=17, dynamo=False)
    logging.getLogger().setLevel(logging.WARNING)
    quantize_dynamic(str(fp32), str(ONNX), weight_type=QuantType.QInt8, per_channel=True, op_types_to_quantize=["MatMul", "Gemm", "Gather"],
                     extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT})
    print(f"{ONNX}: {ONNX.stat().st_size / 1e6:.1f} MB")


# ---- reading and scoring --------------------------------------------------------------------------------

class Reader:
    """The int8 ONNX reader over one (question, paragraph): its best span of at most MAX_SPAN_TOKENS tokens."""

    def __init__(self, threads: int):
        import onnxruntime as ort
        from transformers import AutoTokenizer
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        self.session = ort.InferenceSession(str(ONNX), options, providers=["CPUExecutionProvider"])
        self.tok = AutoTokenizer.from_pretrained(minilm_dir())

    def best_span(self, question: str, paragraph: str) -> tuple[str, float]:
        """The span's text and its score over the no-answer score ([CLS] start + end)."""
        enc = self.tok(question, paragraph, truncation="only_second", max_length=384, return_offsets_mapping=True, return_tensors="np")
        offsets, seq = enc.pop("offset_mapping")[0], enc.sequence_ids(0)
        start, end = self.session.run(None, {k: enc[k].astype(np.int64) for k in ("input_ids", "attention_mask", "token_type_ids")})
        start, end = start[0], end[0]
        ctx = [i for i, s in enumerate(seq) if s == 1]
        lo, hi = ctx[0], ctx[-1] + 1
        scores = start[lo:hi, None] + end[None, lo:hi]
        n = hi - lo
        allowed = np.triu(np.ones((n, n), bool)) & np.tril(np.ones((n, n), bool), MAX_SPAN_TOKENS)
        i, j = divmod(int(np.where(allowed, scores, -np.inf).argmax()), n)
        return paragraph[offsets[lo + i][0]:offsets[lo + j][1]], float(scores[i, j] - (start[0] + end[0]))


def paragraphs() -> dict[str, str]:
    out = {}
    for path in squad_dir().glob("*.jsonl"):
        for line in open(path):
            p = json.loads(line)
            out[p["id"]] = p["context"]
    return out


def read_log(run: str, mode: str) -> list[dict]:
    lines = (ROOT / "results" / run / f"{mode}.jsonl").read_text().splitlines()[1:]
    return [json.loads(line) for line in lines if line.strip()]


def logit(p: float) -> float:
    q = min(max(p, 1e-4), 1 - 1e-4)
    return float(np.log(q / (1 - q)))


def features(r: dict, names: list[str]) -> list[float]:
    """The service's calibration features (answer/calibrator.ts featureValues) plus the reader's agreement."""
    v = {"token_logit": logit(r.get("token_prob", r.get("confidence", 0))), "similarity": r.get("similarity") or 0.0,
         "log_words": float(np.log1p(len(r["prediction"].split()))),
         "span_logit": logit(0.5 if r.get("span_prob") is None else r["span_prob"]),
         "region_logit": logit(0.5 if r.get("region_prob") is None else r["region_prob"]),
         "reader_agree": r["reader_agree"], "reader_gap": r["reader_gap"]}
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


def answered(r: dict, p: float, threshold: float) -> bool:
    return not (r.get("similarity") is not None and r["similarity"] < SIMILARITY_GATE) and p >= threshold


def choose_threshold(records: list[dict], p: np.ndarray) -> float:
    """eval/selective.ts chooseThreshold: the best worse side of answerable answered / unanswerable abstained."""
    best = (0.0, -1.0, -1.0)
    for t in sorted({0.0, *p.tolist()}):
        a = [answered(r, q, t) for r, q in zip(records, p)]
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
                   "`scripts/python.sh -m mac.experiments.reader_verifier score` (weights/reader-minilm-int8.onnx; "
                   "logs: the installed calibration's fit runs and the committed validation logs). Rule and reading: "
                   "docs/experiments.md.\n\n" + "\n".join(lines) + "\n")
    print(f"wrote {out}")


def parity(a):
    """tests/fixtures/reader-spans.json: the Python reader's spans over held-out training questions, which the
    service's reader (answer/reader.ts) must reproduce: a few with their own paragraph, a few with another of
    their article, and the longest paragraph held out (cut at 384 tokens)."""
    reader = Reader(1)
    _, dev = training_rows(0.0, 8)
    paragraphs = [p for line in open(squad_dir() / "squad-1.1-train-full.jsonl") if (p := json.loads(line))["title"] in dev]
    pairs = [(p["qas"][0]["question"], p["context"]) for p in paragraphs[:12]]
    pairs += [(p["qas"][0]["question"], q["context"]) for p, q in zip(paragraphs[:4], paragraphs[20:24])]
    longest = max(paragraphs, key=lambda p: len(p["context"]))
    pairs.append((longest["qas"][-1]["question"], longest["context"]))
    cases = [{"question": q, "paragraph": c, "span": (r := reader.best_span(q, c))[0], "gap": round(r[1], 4)} for q, c in pairs]
    out = ROOT / "tests/fixtures/reader-spans.json"
    out.write_text(json.dumps({"command": "scripts/python.sh -m mac.experiments.reader_verifier parity", "cases": cases}, indent=1, ensure_ascii=False) + "\n")
    print(f"wrote {out}: {len(cases)} cases")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="command", required=True)
    t = sub.add_parser("train")
    t.add_argument("--minutes", type=float, default=75)
    t.add_argument("--threads", type=int, default=1)
    t.add_argument("--batch", type=int, default=16)
    t.add_argument("--lr", type=float, default=1e-4)
    t.add_argument("--max-len", type=int, default=256)
    t.add_argument("--neg-share", type=float, default=0.33)
    t.add_argument("--steps", type=int, default=1100)
    t.add_argument("--dev-articles", type=int, default=8)
    sub.add_parser("export")
    sub.add_parser("parity")
    s = sub.add_parser("score")
    s.add_argument("--threads", type=int, default=2)
    a = ap.parse_args()
    {"train": train, "export": export, "score": score, "parity": parity}[a.command](a)


if __name__ == "__main__":
    main()
