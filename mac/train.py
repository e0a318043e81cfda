"""Trains the memory encoder: LoRA adapters on the frozen LM's encoding pass, so the few key/value slots a
passage keeps carry what a reader of the whole passage would answer.

    memory  = the adapted LM's keys/values of the context turn, at the kept slots (mac/memory_data.py),
              keys rotated to sit relative to the memory's end (as encoder/kv-memory.ts stores them)
    student = the frozen LM reading [memory or memories] + answer form + question -> answer
    teacher = the frozen LM reading [the whole context turn] + answer form + question -> answer
    loss    = KL(teacher || student) over the answer's tokens + nll_weight * answer NLL

The LM that answers never changes; only the encoding pass is adapted (its weights are a second LM graph in
the bundle). At step 0 the adapters are zero, so the run starts from the training-free memory exactly. A
probe on held-out questions (answer NLL with the right vs a wrong memory, alone and among 8) runs at the
start, every `probe_every` steps and at the end; each line goes to <out>.jsonl.

    scripts/python.sh -m mac.train mac/experiments/lora-words-32.json [--field value ...]
"""
import argparse
import json
import math
import random
import sys
import time
from dataclasses import asdict, dataclass, fields
from pathlib import Path

import torch
import torch.nn.functional as F

from .llama import Llama, LlamaConfig, rope, rope_angles
from .memory_data import Passage, Tokens, load, probe_set


@dataclass
class MemoryTrainConfig:
    name: str = "lora-words-32"
    lm_dir: str = ".cache/smollm2-135m-instruct"   # the dequantized LM (`npm run setup`), or mac/lm_pack.py parts
    train: str = ""                            # SQuAD JSONL (.gz allowed); empty: <squad>/squad-1.1-train-full.jsonl
    probe: str = ""                            # held-out SQuAD JSONL; empty: <squad>/squad-1.1-train.jsonl (disjoint
                                               # from the training set and from validation)
    out: str = "runs/memory/lora-words-32"     # writes <out>.pt and <out>.jsonl
    selection: str = "words"
    slots: int = 32
    lora_rank: int = 16
    lora_alpha: float = 32.0
    lora_targets: str = "q_proj,k_proj,v_proj,o_proj,gate_proj,up_proj,down_proj"
    batch: int = 32
    lr: float = 2e-4
    warmup_steps: int = 30
    min_lr_ratio: float = 0.1
    kl_weight: float = 1.0
    nll_weight: float = 0.5
    multi_prob: float = 0.5                    # share of steps whose memory holds the gold among `multi_memories`
    multi_memories: int = 4
    max_context_tokens: int = 320
    max_answer_tokens: int = 16
    max_steps: int = 100000
    max_minutes: float = 6.0                   # the learning-rate schedule runs on elapsed time
    probe_every: int = 200
    probe_questions: int = 64
    limit_questions: int = 0                   # 0: all
    seed: int = 1337
    device: str = "auto"
    dtype: str = "auto"                        # auto: bf16 on cuda, fp32 on cpu
    save_dtype: str = "float16"
    init_from: str = ""                        # a saved run (<out>.pt) whose adapters start this one


# ----------------------------------------------------------------------------- model

def load_lm(lm_dir: Path, device, dtype) -> Llama:
    cfg = json.loads((lm_dir / "config.json").read_text())
    parts = sorted(lm_dir.glob("lm-part-*.pt"))
    if parts:
        from .lm_pack import unpack
        state = unpack(parts, device)
    else:
        from safetensors.torch import load_file
        state = load_file(lm_dir / "model.safetensors", device=str(device))
    lm = Llama(LlamaConfig.from_hf(cfg))
    lm.load_hf(state)
    return lm.to(device=device, dtype=dtype).eval()


def rerotate(keys, delta, inv_freq):
    """keys [B, H, M, D] rotated at p -> rotated at p + delta (delta [B, M]); computed in fp32."""
    return rope(keys.float(), rope_angles(delta, inv_freq, torch.float32)).to(keys.dtype)


# ----------------------------------------------------------------------------- batches

def pad(rows: list[list[int]], value: int, device) -> tuple[torch.Tensor, torch.Tensor]:
    T = max(len(r) for r in rows)
    ids = torch.full((len(rows), T), value, dtype=torch.long)
    for b, r in enumerate(rows):
        ids[b, : len(r)] = torch.tensor(r)
    lengths = torch.tensor([len(r) for r in rows])
    return ids.to(device), lengths.to(device)


def encode(lm: Llama, passages: list[Passage], device, lora: bool):
    """Context turns -> per-layer (K, V) [B, Hkv, L, D] at natural positions, and the lengths [B]."""
    ids, lengths = pad([p.ids for p in passages], 0, device)
    positions = torch.arange(ids.shape[1], device=device)[None].expand(len(passages), -1)
    _, kvs = lm(ids, positions, lora=lora)
    return kvs, lengths


def memories(lm: Llama, kvs, lengths, passages: list[Passage], slots: int, device):
    """Kept slots of each passage -> per-layer (K, V) [B, Hkv, M, D] (keys at p - L, i.e. relative to the
    memory's end, as stored), and the valid-slot mask [B, M] (short passages keep fewer)."""
    B = len(passages)
    index = torch.zeros(B, slots, dtype=torch.long)
    valid = torch.zeros(B, slots, dtype=torch.bool)
    for b, p in enumerate(passages):
        index[b, : len(p.slots)] = torch.tensor(p.slots)
        valid[b, : len(p.slots)] = True
    index, valid = index.to(device), valid.to(device)
    delta = (-lengths[:, None]).expand(B, slots)                                    # [B, M]
    inv_freq = lm.inv_freq(device)
    out = []
    for K, V in kvs:
        gather = index[:, None, :, None].expand(-1, K.shape[1], -1, K.shape[-1])
        out.append((rerotate(K.gather(2, gather), delta, inv_freq), V.gather(2, gather)))
    return out, valid


def concat(lm: Llama, mems: list, valids: list, device):
    """Memories side by side (the last nearest the question), each moved by its end, as aggregator/concat.ts does."""
    inv_freq = lm.inv_freq(device)
    B, M = valids[0].shape
    layers = []
    for layer in range(len(mems[0])):
        ks, vs = [], []
        for i, mem in enumerate(mems):
            end = torch.full((B, M), float(M * (i + 1)), device=device)
            ks.append(rerotate(mem[layer][0], end, inv_freq))
            vs.append(mem[layer][1])
        layers.append((torch.cat(ks, 2), torch.cat(vs, 2)))
    return layers, torch.cat(valids, 1)


def read(lm: Llama, past, past_valid, start, examples, device):
    """The frozen LM reads prompt + answer after `past`; -> answer logits [N, V] and targets [N] (all rows)."""
    rows = [e.prompt + e.answer for e in examples]
    ids, lengths = pad(rows, 0, device)
    B, T = ids.shape
    S = past_valid.shape[1]
    positions = start[:, None] + torch.arange(T, device=device)[None]
    causal = torch.ones(T, T, dtype=torch.bool, device=device).tril()
    mask = torch.cat([past_valid[:, None, :].expand(B, T, S), causal[None].expand(B, T, T)], 2)[:, None]
    hidden, _ = lm(ids, positions, past=past, mask=mask)
    picks, targets = [], []
    for b, e in enumerate(examples):
        P, A = len(e.prompt), len(e.answer)
        picks.append(hidden[b, P - 1 : P + A - 1])
        targets.append(ids[b, P : P + A])
    return lm.logits(torch.cat(picks)), torch.cat(targets)


def teacher_logits(lm: Llama, passages, examples, device):
    with torch.no_grad():
        kvs, lengths = encode(lm, passages, device, lora=False)
        valid = torch.arange(kvs[0][0].shape[2], device=device)[None] < lengths[:, None]
        return read(lm, kvs, valid, lengths, examples, device)[0]


def student_logits(lm: Llama, passages, examples, cfg, device, distractors: int = 0, gold_slot: int = 0):
    kvs, lengths = encode(lm, passages, device, lora=True)
    mem, valid = memories(lm, kvs, lengths, passages, cfg.slots, device)
    if distractors:
        # the batch's other memories are the distractors: row b reads rows b+1.. b+k beside its own
        order = [1 + i for i in range(distractors)]
        mems = [[(K.roll(-shift, 0), V.roll(-shift, 0)) for K, V in mem] for shift in order]
        valids = [valid.roll(-shift, 0) for shift in order]
        mems.insert(gold_slot, mem)
        valids.insert(gold_slot, valid)
        past, past_valid = concat(lm, mems, valids, device)
    else:
        past, past_valid = concat(lm, [mem], [valid], device)
    start = torch.full((len(passages),), past_valid.shape[1], device=device)
    return read(lm, past, past_valid, start, examples, device)


# ----------------------------------------------------------------------------- probe

@torch.no_grad()
def probe(lm: Llama, passages, items, cfg, device, batch: int = 16) -> dict:
    """Mean answer NLL with the right memory and a wrong one (alone), and among 8 with and without the gold."""
    sums = dict(right1=0.0, wrong1=0.0, right8=0.0, wrong8=0.0)
    for i in range(0, len(items), batch):
        chunk = items[i : i + batch]
        examples = [it["example"] for it in chunk]

        def nll(groups: list[list[int]]) -> torch.Tensor:
            # groups[b]: passage indices of row b's memory, best (nearest the question) last
            mems, valids = [], []
            for slot in range(len(groups[0])):
                ps = [passages[g[slot]] for g in groups]
                kvs, lengths = encode(lm, ps, device, lora=True)
                m, v = memories(lm, kvs, lengths, ps, cfg.slots, device)
                mems.append(m)
                valids.append(v)
            past, past_valid = concat(lm, mems, valids, device)
            start = torch.full((len(groups),), past_valid.shape[1], device=device)
            logits, targets = read(lm, past, past_valid, start, examples, device)
            losses = F.cross_entropy(logits, targets, reduction="none")
            out, k = [], 0
            for e in examples:
                out.append(losses[k : k + len(e.answer)].mean())
                k += len(e.answer)
            return torch.stack(out)

        right8 = []
        for it in chunk:
            group = list(it["distractors"])
            group.insert(it["slot"], it["example"].passage)
            right8.append(group)
        sums["right1"] += nll([[it["example"].passage] for it in chunk]).sum().item()
        sums["wrong1"] += nll([[it["wrong"]] for it in chunk]).sum().item()
        sums["right8"] += nll(right8).sum().item()
        sums["wrong8"] += nll([list(it["wrong_set"]) for it in chunk]).sum().item()
    out = {k: v / len(items) for k, v in sums.items()}
    out["gap1"], out["gap8"] = out["wrong1"] - out["right1"], out["wrong8"] - out["right8"]
    return out


# ----------------------------------------------------------------------------- training

def lr_at(cfg: MemoryTrainConfig, step: int, elapsed_min: float) -> float:
    warm = min(1.0, (step + 1) / cfg.warmup_steps)
    frac = min(1.0, elapsed_min / cfg.max_minutes)
    return cfg.lr * warm * (cfg.min_lr_ratio + (1 - cfg.min_lr_ratio) * 0.5 * (1 + math.cos(math.pi * frac)))


def save(lm: Llama, cfg: MemoryTrainConfig, log: list[dict], path: Path):
    dtype = getattr(torch, cfg.save_dtype)
    state = {k: v.to("cpu", dtype) for k, v in lm.lora_state().items()}
    torch.save({"config": asdict(cfg), "lora": state, "probes": log}, path)


def train(cfg: MemoryTrainConfig):
    t0 = time.time()
    device = torch.device("cuda" if cfg.device == "auto" and torch.cuda.is_available() else
                          ("cpu" if cfg.device == "auto" else cfg.device))
    dtype = {"auto": torch.bfloat16 if device.type == "cuda" else torch.float32,
             "bf16": torch.bfloat16, "fp32": torch.float32}[cfg.dtype]
    random.seed(cfg.seed)
    torch.manual_seed(cfg.seed)
    lm_dir = Path(cfg.lm_dir)
    lm = load_lm(lm_dir, device, dtype)
    if cfg.init_from:
        start = torch.load(cfg.init_from, weights_only=True)
        assert start["config"]["lora_rank"] == cfg.lora_rank, f"{cfg.init_from}: another adapter rank"
        lm.load_lora({k: v.float() for k, v in start["lora"].items()}, cfg.lora_alpha)
    else:
        lm.add_lora(cfg.lora_rank, cfg.lora_alpha, tuple(cfg.lora_targets.split(",")))
    lm.to(device)
    params = [p for p in lm.parameters() if p.requires_grad]
    tokens = Tokens(lm_dir / "tokenizer.json")
    from .data import squad_dir
    cfg.train = cfg.train or str(squad_dir() / "squad-1.1-train-full.jsonl")
    cfg.probe = cfg.probe or str(squad_dir() / "squad-1.1-train.jsonl")
    passages, examples = load(Path(cfg.train), tokens, cfg.selection, cfg.slots, cfg.max_context_tokens,
                              cfg.max_answer_tokens, cfg.limit_questions)
    probe_passages, probe_examples = load(Path(cfg.probe), tokens, cfg.selection, cfg.slots, 10 ** 6, cfg.max_answer_tokens)
    items = probe_set(probe_passages, probe_examples, cfg.probe_questions, 8, cfg.seed)
    out = Path(cfg.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    log_path = out.with_suffix(".jsonl")
    log: list[dict] = []

    def record(entry: dict):
        entry = {"t_min": round((time.time() - t0) / 60, 3), **entry}
        log.append(entry)
        with open(log_path, "a") as f:
            f.write(json.dumps(entry) + "\n")
        print(json.dumps(entry), flush=True)

    record({"event": "start", "device": str(device), "dtype": str(dtype), "passages": len(passages),
            "examples": len(examples), "trainable": sum(p.numel() for p in params), "config": asdict(cfg)})
    record({"event": "probe", "step": 0, **probe(lm, probe_passages, items, cfg, device)})
    opt = torch.optim.AdamW(params, lr=cfg.lr, weight_decay=0.0)
    by_passage: dict[int, list] = {}
    for e in examples:
        by_passage.setdefault(e.passage, []).append(e)
    keys = list(by_passage)
    train_start, step, running = time.time(), 0, []
    while step < cfg.max_steps:
        elapsed = (time.time() - train_start) / 60
        if elapsed >= cfg.max_minutes:
            break
        chosen = random.sample(keys, cfg.batch)
        batch_passages = [passages[k] for k in chosen]
        batch_examples = [random.choice(by_passage[k]) for k in chosen]
        distractors = cfg.multi_memories - 1 if random.random() < cfg.multi_prob else 0
        gold_slot = random.randrange(distractors + 1)
        target_logits = teacher_logits(lm, batch_passages, batch_examples, device)
        logits, targets = student_logits(lm, batch_passages, batch_examples, cfg, device, distractors, gold_slot)
        logp = F.log_softmax(logits, -1)
        kl = F.kl_div(logp, F.log_softmax(target_logits, -1), log_target=True, reduction="batchmean")
        nll = F.nll_loss(logp, targets)
        loss = cfg.kl_weight * kl + cfg.nll_weight * nll
        for g in opt.param_groups:
            g["lr"] = lr_at(cfg, step, elapsed)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        grad_norm = torch.nn.utils.clip_grad_norm_(params, 1.0).item()
        opt.step()
        step += 1
        running.append((kl.item(), nll.item(), grad_norm))
        if step % 25 == 0:
            k, n, g = (sum(x[i] for x in running) / len(running) for i in range(3))
            record({"event": "train", "step": step, "kl": round(k, 4), "nll": round(n, 4), "grad_norm": round(g, 3),
                    "lr": lr_at(cfg, step, elapsed), "steps_per_s": round(step / (time.time() - train_start), 3)})
            running = []
        if step % cfg.probe_every == 0:
            record({"event": "probe", "step": step, **probe(lm, probe_passages, items, cfg, device)})
            save(lm, cfg, log, out.with_suffix(".pt"))
    record({"event": "probe", "step": step, "final": True, **probe(lm, probe_passages, items, cfg, device)})
    save(lm, cfg, log, out.with_suffix(".pt"))
    record({"event": "done", "step": step, "minutes": round((time.time() - t0) / 60, 2)})


def parse(argv: list[str]) -> MemoryTrainConfig:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("config", nargs="?", help="JSON file of MemoryTrainConfig fields")
    for f in fields(MemoryTrainConfig):
        ap.add_argument(f"--{f.name}", type=type(f.default))
    args = ap.parse_args(argv)
    values = json.loads(Path(args.config).read_text()) if args.config else {}
    values.update({k: v for k, v in vars(args).items() if k != "config" and v is not None})
    return MemoryTrainConfig(**values)


if __name__ == "__main__":
    train(parse(sys.argv[1:]))
