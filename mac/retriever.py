"""Fine-tunes the retrieval encoder (all-MiniLM-L6-v2) on SQuAD 1.1's training questions, against the
paragraphs of their own article that keyword and embedding rank highest without holding the answer.

all-MiniLM-L6-v2 was already trained on SQuAD's question-paragraph pairs (its model card lists them), with
in-batch negatives only: paragraphs of other articles, which the service rarely confuses. What the service
does confuse is a paragraph of the same article (the reader's 2 hold the gold paragraph for 94%). Each
training question here therefore brings its own paragraph and one "hard" paragraph of its article: among
those that do not contain its answer, one of the 4 ranked first by reciprocal-rank fusion of BM25 and the
starting encoder's similarity (the service's own fusion, answer/candidates.ts). The loss is the usual
in-batch softmax (scale 20) over every paragraph in the batch; another question's copy of one's own
paragraph is masked out. The reader's eight held-out articles (mac/reader.py), the tuning set, are left out.

    scripts/python.sh -m mac.retriever prepare            # -> .device/retriever: fp16 weights, tokenizer, data
    scripts/python.sh -m mac.retriever train --data .device/retriever --run runs/retriever --minutes 4 --device cuda
    scripts/python.sh -m mac.retriever finish --parts FILES_AT --run runs/retriever   # -> runs/retriever/model
    MINILM_DIR=runs/retriever/model scripts/python.sh -m mac.bundle_setup --out bundles/exp-retriever ...

It runs on CPU too (slowly: about 4 s a step of 32); scripts/device/train-retriever.sh runs it on a lent GPU.
"""
import argparse
import gzip
import json
import math
import random
import re
import shutil
import time
from collections import Counter
from pathlib import Path

import torch
import torch.nn.functional as F

from .base_models import minilm_dir
from .data import read_jsonl, squad_file
from .reader import held_out_titles

TOKENIZER_FILES = ("config.json", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "vocab.txt")
STOPWORDS = set(("a an and are as at be been but by did do does for from had has have how i in is it its of on or that "
                 "the their there these this those to was were what when where which who whom whose why will with").split())
POOL = 4  # hard negatives kept per question; one is drawn per epoch
RRF_K = 60


def words(text: str) -> list[str]:
    return [w for w in re.findall(r"\w+", text.lower()) if w not in STOPWORDS]


def bm25_ranks(question: str, docs: list[Counter], lengths: list[int], df: Counter, k1=1.2, b=0.75) -> list[int]:
    """Indices of `docs` by BM25 score against the question, best first (the article is the corpus)."""
    n, avg = len(docs), sum(lengths) / len(lengths)
    scores = [0.0] * n
    for w in set(words(question)):
        if not df[w]:
            continue
        idf = math.log(1 + (n - df[w] + 0.5) / (df[w] + 0.5))
        for i, d in enumerate(docs):
            tf = d[w]
            if tf:
                scores[i] += idf * tf * (k1 + 1) / (tf + k1 * (1 - b + b * lengths[i] / avg))
    return sorted(range(n), key=lambda i: -scores[i])


def prepare(a):
    out = Path(a.out)
    (out / "minilm").mkdir(parents=True, exist_ok=True)
    src = minilm_dir()
    for f in TOKENIZER_FILES:
        shutil.copy(src / f, out / "minilm" / f)
    from safetensors.torch import load_file, save_file
    state = load_file(src / "model.safetensors")
    save_file({k: v.half() for k, v in state.items()}, out / "minilm" / "model-fp16.safetensors")

    paragraphs = read_jsonl(squad_file("squad-1.1-train-full.jsonl"))
    held = held_out_titles(paragraphs, 8)
    train = [p for p in paragraphs if p["title"] not in held]
    by_title: dict[str, list[int]] = {}
    for i, p in enumerate(train):
        by_title.setdefault(p["title"], []).append(i)
    questions = []
    for title, members in by_title.items():
        docs = [Counter(words(train[i]["context"])) for i in members]
        lengths = [max(1, sum(d.values())) for d in docs]
        df = Counter(w for d in docs for w in d)
        for own in members:
            for q in train[own]["qas"]:
                answers = [x.lower() for x in q["answers"]]
                ranked = [members[j] for j in bm25_ranks(q["question"], docs, lengths, df)]
                # candidates: same article, not its own, and not holding any of its answers
                cands = [i for i in ranked if i != own and not any(x in train[i]["context"].lower() for x in answers)]
                questions.append({"q": q["question"], "pos": own, "bm25": cands[:16], "article": title})
    held_out = [{"context": p["context"], "qas": [q["question"] for q in p["qas"]]} for p in paragraphs if p["title"] in held]
    data = {"paragraphs": [p["context"] for p in train], "titles": [p["title"] for p in train],
            "questions": questions, "held_out": held_out}
    with gzip.open(out / "data.json.gz", "wt") as f:
        json.dump(data, f)
    print(f"{len(questions)} training questions over {len(train)} paragraphs of {len(by_title)} articles; "
          f"held out: {sorted(held)}; {sum(not q['bm25'] for q in questions)} without a hard negative")


def embed(model, tok, texts, device, max_len, batch=256, autocast=False):
    out = []
    model.eval()
    with torch.no_grad(), torch.autocast(device_type=device.split(":")[0], dtype=torch.bfloat16, enabled=autocast):
        for s in range(0, len(texts), batch):
            enc = tok(texts[s:s + batch], padding=True, truncation=True, max_length=max_len, return_tensors="pt").to(device)
            out.append(pool(model(**enc).last_hidden_state, enc["attention_mask"]).float())
    return torch.cat(out)


def pool(states, mask):
    m = mask.to(states.dtype)[..., None]
    return F.normalize((states * m).sum(1) / m.sum(1).clamp(min=1e-9), dim=-1)


def held_out_recall(model, tok, held, device, autocast) -> dict:
    """Embedding-only recall@1/2 of each held-out question's own paragraph among all held-out paragraphs."""
    ps = embed(model, tok, [p["context"] for p in held], device, 256, autocast=autocast)
    qs, gold = [], []
    for i, p in enumerate(held):
        qs += p["qas"]
        gold += [i] * len(p["qas"])
    top = (embed(model, tok, qs, device, 64, autocast=autocast) @ ps.T).topk(2, dim=1).indices.cpu()
    gold = torch.tensor(gold)
    return {"recall@1": round((top[:, 0] == gold).float().mean().item(), 4),
            "recall@2": round((top == gold[:, None]).any(1).float().mean().item(), 4)}


def mine(model, tok, data, device, autocast):
    """Each question's hard-negative pool: its BM25 candidates re-ranked by RRF with the encoder's similarity
    among its article's paragraphs, the first POOL kept."""
    needed = sorted({c for q in data["questions"] for c in q["bm25"]})
    row = {c: r for r, c in enumerate(needed)}
    ps = embed(model, tok, [data["paragraphs"][c] for c in needed], device, 256, autocast=autocast)
    qs = embed(model, tok, [q["q"] for q in data["questions"]], device, 64, autocast=autocast)
    pools = []
    for i, q in enumerate(data["questions"]):
        cands = q["bm25"]
        if not cands:
            pools.append([])
            continue
        sims = (ps[[row[c] for c in cands]] @ qs[i]).tolist()
        dense_rank = {c: r for r, c in enumerate(sorted(cands, key=lambda c: -sims[cands.index(c)]))}
        fused = sorted(cands, key=lambda c: -(1 / (RRF_K + cands.index(c)) + 1 / (RRF_K + dense_rank[c])))
        pools.append(fused[:POOL])
    return pools


def train(a):
    from safetensors.torch import load_file
    from transformers import AutoTokenizer, BertConfig, BertModel

    torch.manual_seed(a.seed)
    rng = random.Random(a.seed)
    data_dir, run = Path(a.data), Path(a.run)
    run.mkdir(parents=True, exist_ok=True)
    with gzip.open(data_dir / "data.json.gz", "rt") as f:
        data = json.load(f)
    if a.limit:
        data["questions"] = data["questions"][:a.limit]
    tok = AutoTokenizer.from_pretrained(data_dir / "minilm")
    model = BertModel(BertConfig.from_pretrained(data_dir / "minilm"), add_pooling_layer=False)
    state = {k: v.float() for k, v in load_file(data_dir / "minilm" / "model-fp16.safetensors").items()}
    missing, unexpected = model.load_state_dict(state, strict=False)
    assert not [k for k in missing if "position_ids" not in k], missing
    model.to(a.device)
    autocast = a.bf16
    log = open(run / "train.jsonl", "a")

    def record(**row):
        print(json.dumps(row), flush=True)
        log.write(json.dumps(row) + "\n")
        log.flush()

    record(event="start", **{k: v for k, v in vars(a).items() if k != "func"},
           held_out=held_out_recall(model, tok, data["held_out"], a.device, autocast))
    t0 = time.time()
    pools = mine(model, tok, data, a.device, autocast)
    record(event="mined", seconds=round(time.time() - t0, 1), with_pool=sum(bool(p) for p in pools))

    qs = data["questions"]
    steps_per_epoch = len(qs) // a.batch
    total = a.steps or steps_per_epoch * a.epochs
    opt = torch.optim.AdamW(model.parameters(), lr=a.lr, weight_decay=0.01)
    warm = max(1, int(0.1 * total))
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min((s + 1) / warm, max(0.0, (total - s) / (total - warm))))
    order: list[int] = []
    step, deadline, losses = 0, t0 + 60 * a.minutes, []
    model.train()
    while step < total and time.time() < deadline:
        if len(order) < a.batch:
            order += rng.sample(range(len(qs)), len(qs))
        rows, order = order[:a.batch], order[a.batch:]
        pos = [qs[r]["pos"] for r in rows]
        neg = [rng.choice(pools[r]) if pools[r] else rng.randrange(len(data["paragraphs"])) for r in rows]
        ids = pos + neg
        with torch.autocast(device_type=a.device.split(":")[0], dtype=torch.bfloat16, enabled=autocast):
            qe = tok([qs[r]["q"] for r in rows], padding=True, truncation=True, max_length=64, return_tensors="pt").to(a.device)
            pe = tok([data["paragraphs"][i] for i in ids], padding=True, truncation=True, max_length=a.max_len, return_tensors="pt").to(a.device)
            q = pool(model(**qe).last_hidden_state, qe["attention_mask"]).float()
            p = pool(model(**pe).last_hidden_state, pe["attention_mask"]).float()
        scores = a.scale * q @ p.T
        ids_t = torch.tensor(ids, device=a.device)
        own = torch.tensor(pos, device=a.device)
        same = ids_t[None, :] == own[:, None]
        same[torch.arange(len(rows)), torch.arange(len(rows))] = False  # one's own column stays
        loss = F.cross_entropy(scores.masked_fill(same, -1e4), torch.arange(len(rows), device=a.device))
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        sched.step()
        step += 1
        losses.append(loss.item())
        if step % a.log_every == 0 or step == total:
            record(event="step", step=step, of=total, loss=round(sum(losses) / len(losses), 4),
                   lr=sched.get_last_lr()[0], seconds=round(time.time() - t0, 1))
            losses = []
    record(event="end", steps=step, seconds=round(time.time() - t0, 1),
           held_out=held_out_recall(model, tok, data["held_out"], a.device, autocast))
    from safetensors.torch import save_file
    save_file({k: v.detach().half().cpu().contiguous() for k, v in model.state_dict().items()}, run / "model-fp16.safetensors")
    (run / "training.json").write_text(json.dumps({**{k: v for k, v in vars(a).items() if k != "func"}, "steps_taken": step}))


def finish(a):
    """The trained weights (fp16, in parts) as a sentence-encoder folder MINILM_DIR can point at (fp32)."""
    from safetensors.torch import load_file, save_file
    run, parts = Path(a.run), sorted(Path(a.parts).glob("model-fp16.safetensors.part-*"))
    model_dir = run / "model"
    model_dir.mkdir(parents=True, exist_ok=True)
    joined = run / "model-fp16.safetensors"
    if parts:
        with open(joined, "wb") as f:
            for part in parts:
                f.write(part.read_bytes())
    for f in TOKENIZER_FILES:
        shutil.copy(minilm_dir() / f, model_dir / f)
    state = load_file(minilm_dir() / "model.safetensors")  # the pooler, which mean pooling never reads, as it was
    trained = load_file(joined)
    assert set(trained) <= set(state), set(trained) - set(state)
    state.update({k: v.float().contiguous() for k, v in trained.items()})
    save_file(state, model_dir / "model.safetensors")
    print(f"{model_dir}: {len(trained)} of {len(state)} tensors trained")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(required=True)
    p = sub.add_parser("prepare")
    p.add_argument("--out", default=".device/retriever")
    p.set_defaults(func=prepare)
    t = sub.add_parser("train")
    t.add_argument("--data", default=".device/retriever")
    t.add_argument("--run", default="runs/retriever")
    t.add_argument("--device", default="cpu")
    t.add_argument("--bf16", action="store_true")
    t.add_argument("--batch", type=int, default=128)
    t.add_argument("--epochs", type=int, default=1)
    t.add_argument("--steps", type=int, default=0, help="overrides --epochs")
    t.add_argument("--minutes", type=float, default=60)
    t.add_argument("--lr", type=float, default=2e-5)
    t.add_argument("--scale", type=float, default=20.0)
    t.add_argument("--max-len", type=int, default=256)
    t.add_argument("--limit", type=int, default=0, help="the first N training questions only (a smoke test)")
    t.add_argument("--log-every", type=int, default=20)
    t.add_argument("--seed", type=int, default=0)
    t.set_defaults(func=train)
    f = sub.add_parser("finish")
    f.add_argument("--parts", required=True)
    f.add_argument("--run", required=True)
    f.set_defaults(func=finish)
    a = ap.parse_args()
    a.func(a)


if __name__ == "__main__":
    main()
