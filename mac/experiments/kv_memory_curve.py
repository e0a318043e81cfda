"""Storage/quality curve of a training-free key/value memory for the frozen LM.

A passage's memory is the LM's own KV cache of its context turn, CONTEXT_TURN.format(passages=paragraph),
keeping only M positions per (layer, kv-head), every stored vector int8 with its own fp32 scale. At answer
time the LM sees [memory KV of 1..n passages] + FORM + QA_TURN(question). The production ONNX LM puts the
first new token at position = number of cached slots, so kept keys are re-rotated (RoPE) to new positions:

    compact   a memory's kept slots move to consecutive positions (slot order = original order)
    relative  every kept key of a memory moves by one delta, so its distance to its passage's end is kept

Both are stored at local positions (compact: j = 0..M-1; relative: p + M - L) and shifted at answer time by
the memory's start E_{i-1} in the concatenation, so the runtime applies one rotation per memory:
    k' = k * cos(delta * inv_freq) + rotate_half(k) * sin(delta * inv_freq)   (cos/sin repeated to 64 dims)

Selection rules (position 0 always kept): full, salient (capitalised-word or digit tokens of the passage),
uniform (evenly spaced), attention (top-M attention from the window "<|im_start|>user\\nQuestion:" appended
after the context turn, summed over the window queries and the kv-head's query heads).

    OMP_NUM_THREADS=1 scripts/python.sh -m mac.experiments.kv_memory_curve

Writes results/kv-memory-curve.json after every configuration (resumable: finished ones are skipped) and
results/kv-memory-curve.md. Options: any Config field as --field value.
"""
import argparse
import json
import math
import random
import shlex
import sys
import time
from dataclasses import asdict, dataclass, fields
from pathlib import Path

import torch
import torch.nn.functional as F
from tqdm import tqdm

from ..base_models import resolve_lm
from ..build import CACHE_DIR
from ..data import Paragraph, load_squad, squad_dir
from ..llama import rotate_half
from ..metrics import exact_match, f1
from ..prompt import ANSWER_SUFFIX as ANSWER_END, CONTEXT, FORM, QUESTION_TURN, STOP_TOKENS, build_prompt

# The service's own prompt layout (mac/prompt.py), so the curve measures what ships.
CONTEXT_TURN, QA_TURN = CONTEXT, QUESTION_TURN
CONTEXT_HEADER = CONTEXT[: CONTEXT.index("{passages}")]
OBSERVATION_WINDOW = "<|im_start|>user\nQuestion:"
ROOT = Path(__file__).resolve().parents[2]


prompt = build_prompt


@dataclass
class Config:
    lm: str = "smollm2"
    data: str = ""                      # empty: <squad_dir>/squad-1.1-validation.jsonl
    questions: int = 100                # the first N questions in file order
    wrong_offset: int = 50              # wrong paragraph: i + k*offset lines later, smallest k with another article
    memories: int = 8                   # memory size of the "memory of 8" measure
    budgets: str = "32,16,64,8"         # M, most informative first
    seed: int = 1337
    max_new_tokens: int = 16
    threads: int = 1
    max_minutes: float = 70.0           # no configuration starts once the next one would not fit
    only: str = ""                      # comma-separated configuration names (empty: all, in order)
    wrong_f1: str = ""                  # finished rows to complete with F1 with the wrong memory (run first)
    encoded_cache: str = "runs/kv-curve-encoded.pt"   # each paragraph's full KV, computed once
    out: str = "results/kv-memory-curve.json"


# ----------------------------------------------------------------------------- RoPE and quantization

def rerotate(keys: torch.Tensor, delta, inv_freq: torch.Tensor) -> torch.Tensor:
    """keys [..., S, D] already rotated at positions p -> the same keys rotated at p + delta (delta: scalar or [..., S])."""
    delta = torch.as_tensor(delta, dtype=torch.float64)
    angles = delta[..., None] * inv_freq.double()                          # [..., S, D/2]
    angles = torch.cat([angles, angles], -1)                               # [..., S, D]
    return keys * angles.cos().to(keys.dtype) + rotate_half(keys) * angles.sin().to(keys.dtype)


def fake_int8(x: torch.Tensor) -> torch.Tensor:
    """Symmetric int8 per vector (last dim) with its own fp32 scale, dequantized back."""
    scale = x.abs().amax(-1, keepdim=True).clamp(min=1e-12) / 127.0
    return (x / scale).round().clamp(-127, 127) * scale


# ----------------------------------------------------------------------------- the LM with a KV prefix

class KVRunner:
    def __init__(self, lm, tok):
        from transformers.modeling_rope_utils import ROPE_INIT_FUNCTIONS
        self.lm, self.tok = lm, tok
        cfg = lm.config
        rope_type = (getattr(cfg, "rope_scaling", None) or {}).get("rope_type", "default")
        self.inv_freq, scaling = ROPE_INIT_FUNCTIONS[rope_type](cfg, "cpu")   # [D/2]
        assert scaling == 1.0, f"rope attention scaling {scaling}: re-rotation would need it too"
        self.stop_ids = {tok.convert_tokens_to_ids(t) for t in STOP_TOKENS}
        self.pad_id = tok.convert_tokens_to_ids(ANSWER_END)

    def encode(self, text: str) -> list[int]:
        return self.tok(text, add_special_tokens=False)["input_ids"]

    @staticmethod
    def cache(K, V, batch: int):
        """K, V [layers, Hkv, S, D] -> a DynamicCache with `batch` copies (empty when K is None)."""
        from transformers import DynamicCache
        cache = DynamicCache()
        if K is not None:
            for layer in range(K.shape[0]):
                cache.update(K[layer][None].expand(batch, -1, -1, -1), V[layer][None].expand(batch, -1, -1, -1), layer)
        return cache

    @staticmethod
    def cache_tensors(cache, row: int = 0):
        """DynamicCache -> K, V [layers, Hkv, S, D] of one batch row."""
        if hasattr(cache, "layers"):
            ks, vs = [l.keys for l in cache.layers], [l.values for l in cache.layers]
        else:
            ks, vs = cache.key_cache, cache.value_cache
        return torch.stack([k[row] for k in ks]), torch.stack([v[row] for v in vs])

    @torch.no_grad()
    def extend(self, K, V, ids: list[int]):
        """Run ids after the cached slots (positions continue at S) -> K, V with them appended."""
        S = 0 if K is None else K.shape[2]
        cache = self.cache(K, V, 1)
        out = self.lm.model(input_ids=torch.tensor([ids]), position_ids=torch.arange(S, S + len(ids))[None],
                            attention_mask=torch.ones(1, S + len(ids), dtype=torch.long),
                            past_key_values=cache, use_cache=True)
        return self.cache_tensors(out.past_key_values)

    @torch.no_grad()
    def answer_nlls(self, K, V, rows: list[tuple[list[int], list[int]]]) -> list[float]:
        return self.score(K, V, rows, max_new=0)[0]

    @torch.no_grad()
    def score(self, K, V, rows: list[tuple[list[int], list[int]]], max_new: int) -> tuple[list[float], list[str]]:
        """rows: (prompt ids, answer ids) after the cache -> (mean NLL per answer token, greedy answer) per row.

        One pass over prompt + answer gives the NLL and the first greedy token; decoding then continues with the
        answer and padding masked out, each row at its own positions, finished rows dropped from the batch.
        """
        C, B = K.shape[2], len(rows)
        T = max(len(q) + len(a) for q, a in rows)
        ids = torch.full((B, T), self.pad_id)                              # right padding: causal, never attended
        for b, (q, a) in enumerate(rows):
            ids[b, : len(q) + len(a)] = torch.tensor(q + a)
        cache = self.cache(K, V, B)
        hidden = self.lm.model(input_ids=ids, position_ids=(C + torch.arange(T))[None].expand(B, -1),
                               attention_mask=torch.ones(B, C + T, dtype=torch.long),
                               past_key_values=cache, use_cache=max_new > 0).last_hidden_state  # [B, T, d]
        nlls = []
        for b, (q, a) in enumerate(rows):
            h = hidden[b, len(q) - 1 : len(q) + len(a) - 1]                # [len(a), d]: token t+1 predicted at t
            nlls.append(F.cross_entropy(self.lm.lm_head(h).float(), torch.tensor(a)).item())
        if max_new == 0:
            return nlls, []
        P = torch.tensor([len(q) for q, _ in rows])
        mask = torch.ones(B, C + T, dtype=torch.long)
        for b, (q, _) in enumerate(rows):
            mask[b, C + len(q):] = 0                                       # the answer and padding are not the prompt
        nxt = self.lm.lm_head(hidden[torch.arange(B), P - 1]).argmax(-1)   # [B]
        generated, live = [[] for _ in range(B)], torch.arange(B)          # live: original row of each batch row
        for step in range(max_new):
            keep = []
            for i, b in enumerate(live.tolist()):
                if nxt[i].item() not in self.stop_ids:
                    generated[b].append(nxt[i].item())
                    keep.append(i)
            if not keep or step == max_new - 1:
                break
            if len(keep) < len(live):
                keep = torch.tensor(keep)
                cache.batch_select_indices(keep)
                live, nxt, mask = live[keep], nxt[keep], mask[keep]
            mask = torch.cat([mask, torch.ones(len(live), 1, dtype=torch.long)], 1)
            hidden = self.lm.model(input_ids=nxt[:, None], position_ids=(C + P[live] + step)[:, None],
                                   attention_mask=mask, past_key_values=cache, use_cache=True).last_hidden_state
            nxt = self.lm.lm_head(hidden[:, -1]).argmax(-1)
        return nlls, [self.tok.decode(g, skip_special_tokens=True).strip() for g in generated]

    def generate(self, K, V, prompts: list[list[int]], max_new: int) -> list[str]:
        return self.score(K, V, [(p, [self.pad_id]) for p in prompts], max_new)[1]   # a dummy one-token answer


# ----------------------------------------------------------------------------- memories

@dataclass
class Encoded:
    ids: list[int]            # the context turn's tokens
    K: torch.Tensor           # [layers, Hkv, L, D], rotated at positions 0..L-1 (as the LM caches them)
    V: torch.Tensor           # [layers, Hkv, L, D]
    attention: torch.Tensor   # [layers, Hkv, L] attention received from the observation window
    salient: list[int]        # passage positions that start a capitalised word or hold a digit, in order


def salient_positions(tok, text: str, paragraph: str) -> list[int]:
    enc = tok(text, add_special_tokens=False, return_offsets_mapping=True)
    start, end = len(CONTEXT_HEADER), len(CONTEXT_HEADER) + len(paragraph)
    out = []
    for i, (s, e) in enumerate(enc["offset_mapping"]):
        if s < start or e > end or i == 0:
            continue   # only the passage's own tokens, not the template's ("Context")
        piece = text[s:e]
        word_start = piece[:1].isspace() or s == start or not text[s - 1].isalnum()
        if any(c.isdigit() for c in piece) or (word_start and piece.lstrip()[:1].isupper()):
            out.append(i)
    return out


@torch.no_grad()
def encode_paragraph(runner: KVRunner, paragraph: str) -> Encoded:
    text = CONTEXT_TURN.format(passages=paragraph)
    ids, window = runner.encode(text), runner.encode(OBSERVATION_WINDOW)
    L, T = len(ids), len(ids) + len(window)
    out = runner.lm.model(input_ids=torch.tensor([ids + window]), position_ids=torch.arange(T)[None],
                          use_cache=True, output_attentions=True)
    K, V = runner.cache_tensors(out.past_key_values)                      # [layers, Hkv, T, D]
    Hkv = K.shape[1]
    # attentions: per layer [1, H, T, T]; query head h reads kv head h // (H / Hkv)
    att = torch.stack([a[0, :, L:, :L].sum(1) for a in out.attentions])   # [layers, H, L]
    att = att.view(att.shape[0], Hkv, -1, L).sum(2)                       # [layers, Hkv, L]
    return Encoded(ids, K[:, :, :L].clone(), V[:, :, :L].clone(), att, salient_positions(runner.tok, text, paragraph))


def select(enc: Encoded, rule: str, M: int) -> torch.Tensor:
    """Kept positions [layers, Hkv, m] in original order, m = min(M, L); position 0 always kept."""
    layers, Hkv, L = enc.attention.shape
    if rule == "full" or M >= L:
        return torch.arange(L).expand(layers, Hkv, L)
    if rule == "salient":
        chosen = [0] + enc.salient[: M - 1]
        rest = [p for p in range(L - 1, 0, -1) if p not in set(chosen)]   # too few: the passage's last positions
        chosen = sorted(chosen + rest[: M - len(chosen)])
        return torch.tensor(chosen).expand(layers, Hkv, M)
    if rule == "uniform":
        return torch.linspace(0, L - 1, M).round().long().expand(layers, Hkv, M)
    if rule == "attention":
        scores = enc.attention.clone()
        scores[..., 0] = float("inf")
        return scores.topk(M, -1).indices.sort(-1).values
    raise ValueError(f"unknown rule {rule!r}")


@dataclass
class Memory:
    K: torch.Tensor   # [layers, Hkv, m, D] rotated at local positions (compact: 0..m-1; relative: p + m - L)
    V: torch.Tensor
    slots: int


def make_memory(runner: KVRunner, enc: Encoded, rule: str, M: int, placement: str, quantize: bool) -> Memory:
    keep = select(enc, rule, M)                                           # [layers, Hkv, m]
    idx = keep[..., None].expand(-1, -1, -1, enc.K.shape[-1])
    K, V = enc.K.gather(2, idx), enc.V.gather(2, idx)                     # [layers, Hkv, m, D]
    m, L = keep.shape[-1], enc.K.shape[2]
    target = torch.arange(m).expand_as(keep) if placement == "compact" else keep + (m - L)
    K = rerotate(K, target - keep, runner.inv_freq)
    if quantize:
        K, V = fake_int8(K), fake_int8(V)
    return Memory(K, V, m)


def assemble(runner: KVRunner, memories: list[Memory]):
    """Concatenate memories; memory i moves by its start E_{i-1} (one rotation per memory) -> K, V [layers, Hkv, S, D]."""
    Ks, start = [], 0
    for mem in memories:
        Ks.append(rerotate(mem.K, start, runner.inv_freq) if start else mem.K)
        start += mem.slots
    return torch.cat(Ks, 2), torch.cat([mem.V for mem in memories], 2)


# ----------------------------------------------------------------------------- the episodes

@dataclass
class Episode:
    gold: int                       # paragraph index
    wrong: int                      # a paragraph of another article
    others: list[int]               # the memory-of-8 distractors
    slot: int                       # the gold's place among the 8
    questions: list                 # mac.data.Question, in file order


def episodes(paragraphs: list[Paragraph], cfg: Config) -> list[Episode]:
    rng_root, out, left = random.Random(cfg.seed), [], cfg.questions
    N = len(paragraphs)
    for i, p in enumerate(paragraphs):
        if left <= 0:
            break
        qs = [q for q in p.questions if q.answers][:left]
        left -= len(qs)
        wrong = next((i + k * cfg.wrong_offset) % N for k in range(1, N + 1)
                     if paragraphs[(i + k * cfg.wrong_offset) % N].title != p.title)
        rng = random.Random(rng_root.random())
        same = [j for j in range(N) if j != i and paragraphs[j].title == p.title]
        others = rng.sample(same, min(len(same), cfg.memories - 1))
        by_distance = sorted((j for j in range(N) if j != i and j not in others and j != wrong), key=lambda j: abs(j - i))
        others += by_distance[: cfg.memories - 1 - len(others)]
        out.append(Episode(i, wrong, others, rng.randrange(cfg.memories), qs))
    return out


def configurations(cfg: Config) -> list[dict]:
    """Most informative first. at8: also the memory-of-8 NLL; wrong_f1: also F1 with the wrong memory."""
    budgets = [int(b) for b in cfg.budgets.split(",")]
    first = budgets[0]
    out = [dict(name="none"), dict(name="oracle", wrong_f1=True),
           dict(name="full", rule="full", M=0, placement="compact", at8=True, wrong_f1=True)]
    row = lambda r, M, pl, **kw: dict(name=f"{r}-{M}-{pl}", rule=r, M=M, placement=pl, **kw)
    out += [row(r, first, pl, at8=True, wrong_f1=True) for r in ("salient", "attention") for pl in ("compact", "relative")]
    rest = [M for M in budgets[1:] if M != 8]
    out += [row(r, M, pl) for M in rest for r in ("salient", "attention") for pl in ("compact", "relative")]
    out += [row("uniform", M, pl) for M in (first, *[M for M in rest if M != 64]) for pl in ("compact", "relative")]
    out += [row(r, 8, pl) for r in ("salient", "attention", "uniform") if 8 in budgets for pl in ("compact", "relative")]
    out += [row("uniform", 64, pl) for pl in ("compact", "relative") if 64 in budgets]
    return out + [dict(name="oracle8-text")]


def bytes_per_passage(slots: float, layers: int, kv_heads: int, head_dim: int) -> float:
    return slots * layers * 2 * kv_heads * (head_dim + 4)


def mean(xs):
    return sum(xs) / len(xs) if xs else float("nan")


def run_configuration(runner, conf, eps, encoded, paragraphs, cfg, none_nll, form_ids, wrong_only=False) -> dict:
    """One row of the curve: NLL@1 right/wrong, NLL@8 right/wrong, F1/EM with the gold and the wrong memory.

    wrong_only: just the wrong-memory NLL and answers (to add F1 with the wrong memory to a finished row)."""
    name, rule = conf["name"], conf.get("rule")
    lm_cfg = runner.lm.config
    res = dict(name=name, rule=rule or name, M=conf.get("M"), placement=conf.get("placement"),
               nll_right=[], nll_wrong=[], nll_none=[], nll8_right=[], nll8_wrong=[], pred=[], pred_wrong=[],
               f1=[], em=[], f1_wrong=[], em_wrong=[], slots=[])

    def memory(j: int) -> Memory:
        e = encoded[j]
        if name == "oracle":
            return Memory(e.K, e.V, e.K.shape[2])                          # exact fp32 cache = the text in the prompt
        return make_memory(runner, e, rule, conf["M"], conf["placement"], quantize=True)

    def with_form(memories):
        if not memories:
            return runner.extend(None, None, form_ids)
        K, V = assemble(runner, memories)
        return runner.extend(K, V, form_ids)

    for ep in tqdm(eps, desc=name, mininterval=30, file=sys.stdout):
        qa = [runner.encode(QA_TURN.format(question=q.text.strip())) for q in ep.questions]
        rows = [(p, runner.encode(q.answers[0] + ANSWER_END)) for p, q in zip(qa, ep.questions)]
        golds = [q.answers for q in ep.questions]

        def score(K, V, key_nll, key_pred=None, key_f1=None, key_em=None):
            nlls, preds = runner.score(K, V, rows, cfg.max_new_tokens if key_pred else 0)
            res[key_nll] += nlls
            if key_pred:
                res[key_pred] += preds
                res[key_f1] += [f1(p, g) for p, g in zip(preds, golds)]
                res[key_em] += [exact_match(p, g) for p, g in zip(preds, golds)]

        if name == "none":
            score(*with_form([]), "nll_none", "pred", "f1", "em")
            continue
        if name == "oracle8-text":
            for key, first in (("nll8_right", ep.gold), ("nll8_wrong", ep.wrong)):
                order = ep.others[:]
                order.insert(ep.slot, first)
                K, V = runner.extend(None, None, runner.encode(CONTEXT_TURN.format(
                    passages="\n\n".join(paragraphs[j].context for j in order))) + form_ids)
                res[key] += runner.answer_nlls(K, V, rows)
            continue
        gold_mem, wrong_mem = memory(ep.gold), memory(ep.wrong)
        res["slots"].append(gold_mem.slots)
        if not wrong_only:
            score(*with_form([gold_mem]), "nll_right", "pred", "f1", "em")
        if conf.get("wrong_f1") or wrong_only:
            score(*with_form([wrong_mem]), "nll_wrong", "pred_wrong", "f1_wrong", "em_wrong")
        else:
            score(*with_form([wrong_mem]), "nll_wrong")
        if conf.get("at8") and not wrong_only:
            others = [memory(j) for j in ep.others]
            for key, first in (("nll8_right", gold_mem), ("nll8_wrong", wrong_mem)):
                mems = others[:]
                mems.insert(ep.slot, first)
                score(*with_form(mems), key)

    res["nll_none"] = res["nll_none"] or none_nll
    summary = dict(name=name, rule=res["rule"], M=res["M"], placement=res["placement"], questions=len(res["nll_none"]))
    if res["slots"]:
        summary["mean_slots"] = mean(res["slots"])
        summary["bytes_per_passage"] = (None if name == "oracle" else bytes_per_passage(
            summary["mean_slots"], lm_cfg.num_hidden_layers, lm_cfg.num_key_value_heads, runner.inv_freq.numel() * 2))
    for key in ("nll_right", "nll_wrong", "nll_none", "nll8_right", "nll8_wrong"):
        summary[key] = mean(res[key]) if res[key] else None
    if res["nll_right"]:
        summary["gap1"] = summary["nll_wrong"] - summary["nll_right"]
        summary["gap1_none"] = summary["nll_none"] - summary["nll_right"]
    if res["nll8_right"]:
        summary["gap8"] = summary["nll8_wrong"] - summary["nll8_right"]
    for key in ("f1", "em", "f1_wrong", "em_wrong"):
        summary[key] = 100 * mean(res[key]) if res[key] else None
    summary["per_question"] = {k: ([round(x, 4) for x in v] if v and isinstance(v[0], float) else v)
                               for k, v in res.items() if k in ("nll_right", "nll_wrong", "nll_none", "nll8_right",
                                                                 "nll8_wrong", "pred", "pred_wrong", "f1", "f1_wrong") and v}
    return summary


# ----------------------------------------------------------------------------- checks

@torch.no_grad()
def check_plumbing(runner: KVRunner, enc: Encoded, paragraph: Paragraph, form_ids: list[int]):
    q = paragraph.questions[0]
    qa, ans = runner.encode(QA_TURN.format(question=q.text.strip())), runner.encode(q.answers[0] + ANSWER_END)
    assert enc.ids + form_ids + qa == runner.encode(prompt(q.text, [paragraph.context])), \
        "context turn, FORM and QA turn do not tokenize the same apart as together"
    # a layer-0 key depends only on its token and position, so a shifted forward pass must equal the re-rotation
    L, shift = len(enc.ids), 7
    out = runner.lm.model(input_ids=torch.tensor([enc.ids]), position_ids=(torch.arange(L) + shift)[None], use_cache=True)
    K_shifted = runner.cache_tensors(out.past_key_values)[0][0]          # [Hkv, L, D]
    err = (rerotate(enc.K[0], shift, runner.inv_freq) - K_shifted).abs().max().item()
    assert err < 1e-4, f"re-rotated layer-0 keys differ from keys computed at the shifted positions by {err}"
    # the full cache, no re-rotation, through the production path (memory -> FORM -> question) = one plain pass
    K, V = runner.extend(enc.K, enc.V, form_ids)
    via_cache = runner.answer_nlls(K, V, [(qa, ans)])[0]
    ids = torch.tensor([enc.ids + form_ids + qa + ans])
    logits = runner.lm(input_ids=ids).logits[0, len(ids[0]) - len(ans) - 1 : -1]
    plain = F.cross_entropy(logits.float(), torch.tensor(ans)).item()
    assert abs(via_cache - plain) < 1e-3, f"answer NLL through the cache {via_cache:.5f} != plain forward {plain:.5f}"
    # batched generation with right padding must match one question alone
    qs = [runner.encode(QA_TURN.format(question=x.text.strip())) for x in paragraph.questions[:3]]
    batched = runner.generate(K, V, qs, 16)
    alone = [runner.generate(K, V, [x], 16)[0] for x in qs]
    assert batched == alone, f"batched generation {batched} != one by one {alone}"
    print(f"plumbing ok: NLL via cache {via_cache:.5f} = plain {plain:.5f}; re-rotation err {err:.2e}; "
          f"batched greedy = single ({alone})", flush=True)


# ----------------------------------------------------------------------------- report

def write_markdown(path: Path, results: dict, command: str):
    def fmt(x, d=2):
        return "" if x is None else f"{x:.{d}f}"
    lines = [f"# KV memory: storage/quality curve (frozen SmolLM2-135M-Instruct)", "",
             f"    {command}", "",
             "First 100 SQuAD 1.1 validation questions. NLL: mean per answer token (gold answer + <|im_end|>). "
             "gap@1 = NLL(wrong memory) - NLL(gold memory); gap@8 = the same with 7 same-article memories beside it. "
             "F1/EM (points): greedy, 16 tokens, gold memory; F1 wrong: with the wrong paragraph's memory. "
             "Memories int8 per vector (64 dims + fp32 scale) except `oracle` (exact fp32 cache = the text in the prompt; "
             "its NLL@8 is the 8 paragraphs as text in one context turn). `full` compact = relative.", "",
             "| config | rule | M | placement | KB/passage | NLL right | NLL wrong | NLL none | gap@1 | NLL8 right | NLL8 wrong | gap@8 | F1 | EM | F1 wrong |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in results.values():
        if r["name"] == "oracle8-text":
            continue
        r = dict(r)
        if r["name"] == "oracle" and "oracle8-text" in results:
            o8 = results["oracle8-text"]
            r.update(nll8_right=o8["nll8_right"], nll8_wrong=o8["nll8_wrong"], gap8=o8["gap8"])
        kb = r.get("bytes_per_passage")
        lines.append("| " + " | ".join([
            r["name"], r["rule"], "" if r["M"] is None else str(r["M"] or "L"), r["placement"] or "",
            "" if kb is None else f"{kb / 1024:.0f}", fmt(r.get("nll_right")), fmt(r.get("nll_wrong")), fmt(r.get("nll_none")),
            fmt(r.get("gap1")), fmt(r.get("nll8_right")), fmt(r.get("nll8_wrong")), fmt(r.get("gap8")),
            fmt(r.get("f1"), 1), fmt(r.get("em"), 0), fmt(r.get("f1_wrong"), 1)]) + " |")
    path.write_text("\n".join(lines) + "\n")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    for f in fields(Config):
        ap.add_argument(f"--{f.name.replace('_', '-')}", type=type(f.default), default=f.default)
    cfg = Config(**vars(ap.parse_args(argv)))
    command = "OMP_NUM_THREADS=1 scripts/python.sh -m mac.experiments.kv_memory_curve " + shlex.join(sys.argv[1:] if argv is None else argv)
    torch.set_num_threads(cfg.threads)
    torch.manual_seed(cfg.seed)
    from transformers import AutoModelForCausalLM, AutoTokenizer

    lm_dir, _ = resolve_lm(cfg.lm, CACHE_DIR)
    tok = AutoTokenizer.from_pretrained(lm_dir)
    lm = AutoModelForCausalLM.from_pretrained(lm_dir, dtype=torch.float32, attn_implementation="eager").eval()
    runner = KVRunner(lm, tok)
    paragraphs = load_squad(cfg.data or squad_dir() / "squad-1.1-validation.jsonl")
    eps = episodes(paragraphs, cfg)
    form_ids = runner.encode(FORM)
    needed = sorted({j for ep in eps for j in [ep.gold, ep.wrong, *ep.others]})
    print(f"{sum(len(ep.questions) for ep in eps)} questions from {len(eps)} paragraphs; "
          f"{len(needed)} paragraphs to encode; FORM {len(form_ids)} tokens", flush=True)
    t0 = time.time()
    cache_path = ROOT / cfg.encoded_cache
    encoded = torch.load(cache_path, weights_only=False) if cache_path.exists() else {}
    missing = [j for j in needed if j not in encoded]
    for j in tqdm(missing, desc="encode", mininterval=30, file=sys.stdout):
        encoded[j] = encode_paragraph(runner, paragraphs[j].context)
    if missing:
        cache_path.parent.mkdir(parents=True, exist_ok=True)
        torch.save(encoded, cache_path)
    print(f"encoded {len(missing)} paragraphs in {time.time() - t0:.0f}s; gold L mean "
          f"{mean([encoded[ep.gold].K.shape[2] for ep in eps]):.1f}", flush=True)
    check_plumbing(runner, encoded[eps[0].gold], paragraphs[eps[0].gold], form_ids)

    out = ROOT / cfg.out
    results = json.loads(out.read_text())["results"] if out.exists() else {}
    confs = configurations(cfg)
    if cfg.only:
        confs = [c for c in confs if c["name"] in cfg.only.split(",")]
    last_seconds = 0.0
    by_name = {c["name"]: c for c in configurations(cfg)}
    for name in filter(None, cfg.wrong_f1.split(",")):
        if name not in results or results[name].get("f1_wrong") is not None:
            continue
        start = time.time()
        r = run_configuration(runner, by_name[name], eps, encoded, paragraphs, cfg, [], form_ids, wrong_only=True)
        results[name].update(f1_wrong=r["f1_wrong"], em_wrong=r["em_wrong"])
        results[name]["per_question"].update({k: r["per_question"][k] for k in ("pred_wrong", "f1_wrong")})
        out.write_text(json.dumps(dict(command=command, config=asdict(cfg), results=results), indent=1))
        print(f"[{(time.time() - t0) / 60:5.1f} min] {name}: F1 with the wrong memory {r['f1_wrong']:.1f} "
              f"EM {r['em_wrong']:.0f} ({time.time() - start:.0f}s)", flush=True)
    for conf in confs:
        if conf["name"] in results:
            print(f"skip {conf['name']} (in {cfg.out})", flush=True)
            continue
        elapsed = time.time() - t0
        if elapsed + last_seconds > cfg.max_minutes * 60:
            print(f"stop before {conf['name']}: {elapsed / 60:.1f} min spent, the next would end past {cfg.max_minutes} min", flush=True)
            break
        start = time.time()
        none_nll = results.get("none", {}).get("per_question", {}).get("nll_none", [])
        r = run_configuration(runner, conf, eps, encoded, paragraphs, cfg, none_nll, form_ids)
        r["seconds"] = time.time() - start
        last_seconds = r["seconds"]
        results[conf["name"]] = r
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(dict(command=command, config=asdict(cfg), results=results), indent=1))
        write_markdown(out.with_suffix(".md"), results, command)
        g = lambda k, d=2: "-" if r.get(k) is None else f"{r[k]:.{d}f}"
        print(f"[{(time.time() - t0) / 60:5.1f} min] {conf['name']:24s} {r['seconds']:5.0f}s  NLL right {g('nll_right')} "
              f"wrong {g('nll_wrong')} none {g('nll_none')} gap1 {g('gap1')} gap8 {g('gap8')} "
              f"F1 {g('f1', 1)} EM {g('em', 0)} F1wrong {g('f1_wrong', 1)}", flush=True)
    write_markdown(out.with_suffix(".md"), results, command)


if __name__ == "__main__":
    main()
