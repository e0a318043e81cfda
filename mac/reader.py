"""The extractive reader that proposes and checks the service's grounded answers (answer/reader.ts).

all-MiniLM-L6-v2 (the retrieval encoder's base model, so the bundle's encoder tokenizer is its tokenizer)
with a start/end head, [CLS] meaning "no answer", fine-tuned on squad-1.1-train-full: each question with its
own paragraph, plus (a third of the rows) questions paired with another paragraph of their article,
labelled no answer; then, from that, with a quarter of the questions also read against their paragraph
without the sentence holding the answer, labelled no answer. Eight training articles are held out to
measure it. None of its data is the calibration's reserved SQuAD 2.0 articles or validation. The reader
before the 35th session, 7400 steps in six runs (each resumes from its state.pt; the first four took 68 minutes on
2 threads with AMX, the last two 2.2 hours on 2 AVX2 threads without --bf16), then two runs on a lent H200:

    fast="--threads 2 --bf16 --attention-dropout 0"
    scripts/python.sh -m mac.reader train --run runs/reader $fast
    scripts/python.sh -m mac.reader train --run runs/reader-deleted --init runs/reader/model --deleted-share 0.25 --steps 400 --lr 3e-5 $fast
    scripts/python.sh -m mac.reader train --run runs/reader-long --init runs/reader-deleted/model --deleted-share 0.25 --seed 1 --steps 1800 --lr 5e-5 $fast
    scripts/python.sh -m mac.reader train --run runs/reader-more --init runs/reader-long/model --deleted-share 0.25 --seed 2 --steps 1600 --lr 3e-5 $fast
    scripts/python.sh -m mac.experiments.reader_int8 runs/reader-more/reader.onnx runs/reader-more/int8.onnx --all   # installed until the 32nd session
    scripts/python.sh -m mac.reader from-onnx --onnx runs/reader-more/int8.onnx --out runs/reader-init   # (from-onnx read int8 then: at d8a5044)
    # at 033d37a, where --group-by-length exists (retired); then random batches again:
    scripts/python.sh -m mac.reader train --run runs/reader-seven --init runs/reader-init --deleted-share 0.25 --seed 6 --steps 1500 --lr 3e-5 --threads 2 --attention-dropout 0 --group-by-length
    scripts/python.sh -m mac.reader train --run runs/reader-eight --init runs/reader-seven/model --deleted-share 0.25 --seed 7 --steps 1000 --lr 3e-5 --threads 2 --attention-dropout 0
    scripts/python.sh -m mac.reader export --run runs/reader-eight   # installed until the 35th session
    # the installed reader: from that one (stored with its word-embedding table in 8 bits), on a lent H200, two calls
    # (the second started from the first's model on the still-warm machine; it stopped by time at 4891 steps):
    scripts/device/train-reader.sh train 8 --steps 12000 --batch 32 --lr 5e-5 --deleted-share 0.25 --seed 8 --workers 8
    python3 -m mac.reader train --run /tmp/r2 --init <the first call's run>/model --device cuda --bf16 --minutes 3.2 --steps 6000 --batch 32 --lr 3e-5 --deleted-share 0.25 --seed 9 --workers 8
    scripts/device/train-reader.sh finish <files> runs/reader-h200b   # -> weights/reader-minilm.onnx (committed; setup installs it)
    scripts/python.sh -m mac.reader parity     # -> tests/fixtures/reader-spans.json (answer/reader.test.ts)
    scripts/python.sh -m mac.reader held-out   # -> runs/tune/reader-held-out.jsonl (its 8 held-out articles, a SQuAD file)

It computes in fp32 with its weight matrices stored in 16 bits and its word-embedding table, a lookup, in 8 (34 MB;
since the 34th session, the same held-out F1: mac/experiments/reader_embeddings_8bit.py): the int8 form of every
matrix it had until the 32nd session rounded away up to 2.3 held-out F1 (mac/experiments/reader_int8.py writes it).
On a lent accelerator, from the installed reader (from-onnx reads the committed ONNX back into a model to train
from; pack / unpack carry the result back): scripts/device/train-reader.sh.

How each run was chosen and what it does to the calibration: docs/experiments.md (there too the runs not installed:
2400 and 4800 steps more from the fourth, better answers, but AUROC fell after 2400 and rag's abstention balance
after 4800).
"""
import argparse
import json
import os
import random
import re
import time
from pathlib import Path

import numpy as np

from .base_models import minilm_dir
from .data import read_jsonl, squad_file

ROOT = Path(__file__).resolve().parents[1]
RUN = ROOT / "runs/reader"
ONNX = ROOT / "weights/reader-minilm.onnx"
MAX_SPAN_TOKENS = 30


# ---- training -------------------------------------------------------------------------------------------

SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(])")


def sentence_bounds(context: str) -> list[int]:
    """Where the paragraph's sentences start, and its end: sentence i is context[bounds[i]:bounds[i + 1]]."""
    return [0] + [m.end() for m in SENTENCE.finditer(context)] + [len(context)]


def without_answer_sentence(context: str, start: int, answers: list[str]) -> str | None:
    """The paragraph with the sentence holding the answer (at `start`) removed: on topic, answer absent.
    None where the answer spans sentences, or a gold answer still appears in what is left."""
    bounds = sentence_bounds(context)
    for lo, hi in zip(bounds, bounds[1:]):
        if lo <= start < hi:
            rest = (context[:lo] + context[hi:]).strip()
            if not rest or any(a.lower() in rest.lower() for a in answers):
                return None
            return rest
    return None


def held_out_titles(paragraphs: list[dict], dev_articles: int) -> set[str]:
    """The training articles the reader never trains on (a fixed shuffle of the titles)."""
    titles = sorted({p["title"] for p in paragraphs})
    random.Random(1).shuffle(titles)
    return set(titles[:dev_articles])


def held_out_paragraphs(dev_articles: int = 8) -> list[dict]:
    """The held-out articles' paragraphs of squad-1.1-train-full.jsonl, in file order."""
    paragraphs = read_jsonl(squad_file("squad-1.1-train-full.jsonl"))
    dev = held_out_titles(paragraphs, dev_articles)
    return [p for p in paragraphs if p["title"] in dev]


def training_rows(neg_share: float, dev_articles: int, seed: int = 0, deleted_share: float = 0.0):
    paragraphs = read_jsonl(squad_file("squad-1.1-train-full.jsonl"))
    dev = held_out_titles(paragraphs, dev_articles)
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
            if deleted_share and rng.random() < deleted_share and (rest := without_answer_sentence(p["context"], start, q["answers"])):
                rows.append((q["question"], rest, -1, -1))
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


class Batches:
    """Training steps first..steps-1 as tokenized batches, in row order (worker processes tokenize ahead of the
    accelerator with --workers)."""

    def __init__(self, tok, rows, batch: int, max_len: int, first: int, steps: int):
        self.tok, self.rows, self.batch, self.max_len, self.first, self.steps = tok, rows, batch, max_len, first, steps

    def __len__(self):
        return self.steps - self.first

    def __getitem__(self, i):
        start = ((self.first + i) * self.batch) % len(self.rows)
        return encode_batch(self.tok, self.rows[start:start + self.batch], self.max_len)


def train(a):
    import torch
    from tqdm import tqdm
    from transformers import AutoModelForQuestionAnswering, AutoTokenizer
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    device = torch.device(a.device)
    run = Path(a.run)
    run.mkdir(parents=True, exist_ok=True)
    rows, dev = training_rows(a.neg_share, a.dev_articles, seed=a.seed, deleted_share=a.deleted_share)
    print(f"{len(rows)} training rows ({sum(r[2] < 0 for r in rows)} without an answer); held-out articles {dev}", flush=True)
    tok = AutoTokenizer.from_pretrained(minilm_dir())
    model = AutoModelForQuestionAnswering.from_pretrained(a.init or minilm_dir(), attention_probs_dropout_prob=a.attention_dropout).to(device)
    opt = torch.optim.AdamW(model.parameters(), lr=a.lr, weight_decay=0.01)
    started, ema = time.time(), None
    # The learning rate decays linearly to whichever end comes first, the last step or the time limit (on a lent
    # accelerator the time limit is the one known in advance).
    done = lambda s: max(s / a.steps, (time.time() - started) / 60 / a.minutes)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min(1, (s + 1) / 100) * max(0.05, 1 - done(s)))
    state, step = run / "state.pt", 0
    if state.exists():
        saved = torch.load(state, weights_only=False, map_location=device)
        model.load_state_dict(saved["model"]); opt.load_state_dict(saved["opt"]); sched.load_state_dict(saved["sched"])
        step = saved["step"]
    bar = tqdm(total=a.steps, initial=step, desc="reader", mininterval=30)
    model.train()
    batches = iter(torch.utils.data.DataLoader(Batches(tok, rows, a.batch, a.max_len, step, a.steps), batch_size=None,
                                               num_workers=a.workers, prefetch_factor=8 if a.workers else None))
    while step < a.steps and done(step) < 1:
        enc, s, e = next(batches)
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=a.bf16):
            loss = model(**enc.to(device), start_positions=s.to(device), end_positions=e.to(device)).loss
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
    model.save_pretrained(run / "model")
    tok.save_pretrained(run / "model")
    (run / "model" / "training.json").write_text(json.dumps({**vars(a), "steps_taken": step, "held_out_articles": dev}, default=str))


# ---- export ---------------------------------------------------------------------------------------------

def export(a):
    """The run's model as ONNX: <run>/reader.onnx (fp32), and --out, the same with its weight matrices stored in 16
    bits and its word-embedding table in 8 (the installed form; it computes in fp32)."""
    import torch
    from transformers import AutoModelForQuestionAnswering, AutoTokenizer
    run, out = Path(a.run), Path(a.out)
    model = AutoModelForQuestionAnswering.from_pretrained(run / "model").eval()
    tok = AutoTokenizer.from_pretrained(run / "model")
    enc = tok("What?", "A paragraph.", return_tensors="pt")
    fp32 = run / "reader.onnx"
    names = ["input_ids", "attention_mask", "token_type_ids"]
    torch.onnx.export(model, tuple(enc[n] for n in names), str(fp32), input_names=names, output_names=["start_logits", "end_logits"],
                      dynamic_axes={n: {0: "batch", 1: "tokens"} for n in names + ["start_logits", "end_logits"]}, opset_version=17, dynamo=False)
    stored_in_16_bits(fp32, out)
    word_embeddings_in_8_bits(out, out)
    print(f"{out}: {out.stat().st_size / 1e6:.1f} MB")


def stored_in_16_bits(fp32: Path, out: Path):
    """`fp32` with each weight matrix stored in float16 and cast back to float32 where the graph reads it: half
    the bytes (the repository keeps files under 50 MB), the same fp32 arithmetic. onnxruntime folds the casts
    once, when it loads the file; the weights differ from fp32 by float16's rounding (relative 2^-11)."""
    import onnx
    from onnx import helper, numpy_helper
    model = onnx.load(str(fp32))
    graph, casts = model.graph, []
    for init in graph.initializer:
        weights = numpy_helper.to_array(init)
        if weights.dtype != np.float32 or weights.ndim < 2:
            continue   # biases and norms: a few KB, kept exact
        name = init.name
        init.CopyFrom(numpy_helper.from_array(weights.astype(np.float16), f"{name}_fp16"))
        casts.append(helper.make_node("Cast", [f"{name}_fp16"], [name], name=f"{name}_to_fp32", to=onnx.TensorProto.FLOAT))
    nodes = casts + list(graph.node)
    del graph.node[:]
    graph.node.extend(nodes)
    onnx.checker.check_model(model)
    onnx.save(model, str(out))


WORD_EMBEDDINGS = "bert.embeddings.word_embeddings.weight"


def word_embeddings_in_8_bits(stored: Path, out: Path):
    """`stored` (`stored_in_16_bits`' form) with the word-embedding table, half its bytes (30522 x 384), in int8 with
    one float32 scale per row, cast and scaled back to float32 where the graph reads it: 34 MB instead of 45, which
    leaves room beside the tree for the training set on a lent accelerator (scripts/device/train-reader.sh). A
    table is a lookup, not a product: its rounding moved no held-out F1 (docs/experiments.md). onnxruntime folds
    the cast and the product once, at load."""
    import onnx
    from onnx import helper, numpy_helper
    model, name = onnx.load(str(stored)), WORD_EMBEDDINGS
    graph = model.graph
    init = next(i for i in graph.initializer if i.name == f"{name}_fp16")
    table = numpy_helper.to_array(init).astype(np.float32)
    scale = np.maximum(np.abs(table).max(axis=1, keepdims=True), 1e-12) / 127
    init.CopyFrom(numpy_helper.from_array(np.clip(np.round(table / scale), -127, 127).astype(np.int8), f"{name}_int8"))
    graph.initializer.append(numpy_helper.from_array(scale.astype(np.float32), f"{name}_scale"))
    read = [n for n in graph.node if n.output[0] != name]   # all but the Cast that read the float16 table
    del graph.node[:]
    graph.node.extend([
        helper.make_node("Cast", [f"{name}_int8"], [f"{name}_int8_fp32"], name=f"{name}_int8_to_fp32", to=onnx.TensorProto.FLOAT),
        helper.make_node("Mul", [f"{name}_int8_fp32", f"{name}_scale"], [name], name=f"{name}_scaled"),
        *read])
    onnx.checker.check_model(model)
    onnx.save(model, str(out))


# ---- moving a reader to and from a lent accelerator (scripts/device/train-reader.sh) ----------------------

def model_from_state(state: dict, out: Path):
    """A reader model folder (all-MiniLM-L6-v2's config with the start/end head, its tokenizer) holding `state`."""
    import torch
    from transformers import AutoConfig, AutoModelForQuestionAnswering, AutoTokenizer
    model = AutoModelForQuestionAnswering.from_config(AutoConfig.from_pretrained(minilm_dir()))
    missing, unexpected = model.load_state_dict({k: v.float() for k, v in state.items()}, strict=False)
    missing = [k for k in missing if not k.endswith("position_ids")]
    assert not missing and not unexpected, f"not a reader's weights: missing {missing}, unexpected {unexpected}"
    model.save_pretrained(out)
    AutoTokenizer.from_pretrained(minilm_dir()).save_pretrained(out)
    print(f"{out}: {sum(v.numel() for v in model.state_dict().values()) / 1e6:.1f}M weights")


def read_back(graph) -> dict:
    """A stored reader's initializers in float32, and what each Cast of one, or product of two, makes of them: the
    16-bit and 8-bit forms as the graph reads them (onnxruntime folds these nodes once, at load)."""
    from onnx import numpy_helper
    init = {i.name: numpy_helper.to_array(i).astype(np.float32) for i in graph.initializer}
    for n in graph.node:
        if n.op_type == "Cast" and n.input[0] in init:
            init[n.output[0]] = init[n.input[0]]
        elif n.op_type == "Mul" and all(i in init for i in n.input):
            init[n.output[0]] = init[n.input[0]] * init[n.input[1]]
    return init


def from_onnx(a):
    """The installed ONNX reader as a model folder to train from: a lent accelerator gets the installed reader this
    way (it is in the tree) instead of a 90 MB checkpoint. Each weight is an initializer, or the Cast (and, for the
    8-bit word embeddings, the scaling) of one; a MatMul's is named by the module its output belongs to (torch.onnx's
    names: /bert/encoder/layer.0/attention/self/query/MatMul) and stored [in, out]."""
    import onnx
    import torch
    graph = onnx.load(a.onnx).graph
    init = read_back(graph)
    stored_forms = ("_fp16", "_int8", "_int8_fp32", "_scale")
    state = {k: v for k, v in init.items() if not k.startswith("onnx::") and not k.endswith(stored_forms)}
    for node in graph.node:
        if node.op_type == "MatMul" and node.input[1] in init:
            module = node.output[0].split("/MatMul")[0].strip("/").replace("/", ".")
            state[f"{module}.weight"] = init[node.input[1]].T
    model_from_state({k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in state.items()}, Path(a.out))


def pack(a):
    """A trained reader's weights as `export` stores them, one file (the accelerator sends it back in parts): its
    matrices in float16, the rest in float32, so nothing is lost that the exported reader keeps (45 MB)."""
    import torch
    from transformers import AutoModelForQuestionAnswering
    state = AutoModelForQuestionAnswering.from_pretrained(Path(a.run) / "model").state_dict()
    torch.save({k: v.half() if v.dim() > 1 else v for k, v in state.items() if not k.endswith("position_ids")}, a.out)


def unpack(a):
    """`pack`'s file back as <run>/model, ready for `export`."""
    import torch
    model_from_state(torch.load(a.weights), Path(a.run) / "model")


# ---- reading ---------------------------------------------------------------------------------------------

class Reader:
    """The ONNX reader over one (question, paragraph): its best span of at most MAX_SPAN_TOKENS tokens."""

    def __init__(self, threads: int, path: Path = ONNX):
        import onnxruntime as ort
        from transformers import AutoTokenizer
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        self.session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        self.tok = AutoTokenizer.from_pretrained(minilm_dir())

    def best_span(self, question: str, paragraph: str) -> tuple[str, float]:
        """The span's text and its score over the no-answer score ([CLS] start + end)."""
        run = lambda enc: [x[0] for x in self.session.run(None, {k: enc[k].astype(np.int64) for k in ("input_ids", "attention_mask", "token_type_ids")})]
        return best_span(self.tok, run, question, paragraph)


def best_span(tok, logits, question: str, paragraph: str) -> tuple[str, float]:
    """The reader's best span of at most MAX_SPAN_TOKENS tokens and its score over no answer, given `logits`:
    the start and end logits of one tokenized (question, paragraph) pair, whichever runtime computes them."""
    enc = tok(question, paragraph, truncation="only_second", max_length=384, return_offsets_mapping=True, return_tensors="np")
    offsets, seq = enc.pop("offset_mapping")[0], enc.sequence_ids(0)
    start, end = logits(enc)
    ctx = [i for i, s in enumerate(seq) if s == 1]
    lo, hi = ctx[0], ctx[-1] + 1
    scores = start[lo:hi, None] + end[None, lo:hi]
    n = hi - lo
    allowed = np.triu(np.ones((n, n), bool)) & np.tril(np.ones((n, n), bool), MAX_SPAN_TOKENS)
    i, j = divmod(int(np.where(allowed, scores, -np.inf).argmax()), n)
    return paragraph[offsets[lo + i][0]:offsets[lo + j][1]], float(scores[i, j] - (start[0] + end[0]))


def parity(a):
    """tests/fixtures/reader-spans.json: the Python reader's spans over held-out training questions, which the
    service's reader (answer/reader.ts) must reproduce: a few with their own paragraph, a few with another of
    their article, and the longest paragraph held out (cut at 384 tokens)."""
    reader = Reader(1)
    paragraphs = held_out_paragraphs()
    pairs = [(p["qas"][0]["question"], p["context"]) for p in paragraphs[:12]]
    pairs += [(p["qas"][0]["question"], q["context"]) for p, q in zip(paragraphs[:4], paragraphs[20:24])]
    longest = max(paragraphs, key=lambda p: len(p["context"]))
    pairs.append((longest["qas"][-1]["question"], longest["context"]))
    cases = [{"question": q, "paragraph": c, "span": (r := reader.best_span(q, c))[0], "gap": round(r[1], 4)} for q, c in pairs]
    out = ROOT / "tests/fixtures/reader-spans.json"
    out.write_text(json.dumps({"command": "scripts/python.sh -m mac.reader parity", "cases": cases}, indent=1, ensure_ascii=False) + "\n")
    print(f"wrote {out}: {len(cases)} cases")


def held_out(a):
    """The reader's eight held-out training articles as a SQuAD file (the grounded span choice was tuned on it)."""
    paragraphs = held_out_paragraphs()
    out = Path(a.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("".join(json.dumps(p, ensure_ascii=False) + "\n" for p in paragraphs))  # the source's own lines
    print(f"wrote {out}: {len(paragraphs)} paragraphs of {', '.join(sorted({p['title'] for p in paragraphs}))}")


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
    t.add_argument("--run", default=str(RUN), help="checkpoints and the trained model (resumes from its state.pt)")
    t.add_argument("--init", help="a trained reader's model folder to start from (default: all-MiniLM-L6-v2)")
    t.add_argument("--attention-dropout", type=float, default=0.1,
                   help="dropout on the attention weights (0: about 1.7x faster on CPU, where drawing its masks dominates a step)")
    t.add_argument("--workers", type=int, default=0, help="processes that tokenize batches ahead (a lent accelerator's spare cores)")
    t.add_argument("--bf16", action="store_true", help="bfloat16 autocast: about 1.5x faster where the CPU has AMX or AVX-512 BF16")
    t.add_argument("--device", default="cpu", help="where it trains: cpu, or cuda on a lent accelerator (scripts/device/train-reader.sh)")
    t.add_argument("--seed", type=int, default=0, help="the rows' order (a run from --init reads others than its start did)")
    t.add_argument("--deleted-share", type=float, default=0.0,
                   help="share of questions also read against their paragraph without the answer's sentence, labelled no answer (the installed reader's last three runs: docs/experiments.md)")
    e = sub.add_parser("export")
    e.add_argument("--run", default=str(RUN))
    e.add_argument("--out", default=str(ONNX))
    o = sub.add_parser("from-onnx")
    o.add_argument("--onnx", default=str(ONNX))
    o.add_argument("--out", required=True, help="the model folder to write (train --init it)")
    p = sub.add_parser("pack")
    p.add_argument("--run", required=True)
    p.add_argument("--out", required=True)
    u = sub.add_parser("unpack")
    u.add_argument("--weights", required=True)
    u.add_argument("--run", required=True)
    sub.add_parser("parity")
    h = sub.add_parser("held-out")
    h.add_argument("--out", default="runs/tune/reader-held-out.jsonl")
    a = ap.parse_args()
    commands = {"train": train, "export": export, "from-onnx": from_onnx, "pack": pack, "unpack": unpack, "parity": parity, "held-out": held_out}
    commands[a.command](a)


if __name__ == "__main__":
    main()
