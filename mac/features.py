"""Frozen-encoder features and LM token ids for a SQuAD split, computed once per run and cached."""
from dataclasses import dataclass
from pathlib import Path

import torch
from tqdm import tqdm

from .build import BaseModels, encode_texts
from .data import Paragraph
from .prompt import ANSWER_SUFFIX, build_prompt


@dataclass
class SplitFeatures:
    paragraphs: list[Paragraph]
    passage_states: list[torch.Tensor]            # per paragraph [n, E] fp16
    question_states: list[list[torch.Tensor]]     # per paragraph, per question [q, E] fp16
    prompt_ids: list[list[list[int]]]             # per paragraph, per question
    answer_ids: list[list[list[int]]]             # first gold answer + end-of-turn


@torch.no_grad()
def _encode_all(bm: BaseModels, texts: list[str], max_tokens: int, desc: str) -> list[torch.Tensor]:
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))  # similar lengths pad less
    result: list[torch.Tensor | None] = [None] * len(texts)
    for start in tqdm(range(0, len(order), 32), desc=desc, unit="batch"):
        idx = order[start:start + 32]
        states, mask, _ = encode_texts(bm.encoder, bm.encoder_tokenizer, [texts[i] for i in idx], max_tokens)
        for row, i in enumerate(idx):
            result[i] = states[row, : int(mask[row].sum())].half()
    return result  # type: ignore[return-value]


def build_features(bm: BaseModels, paragraphs: list[Paragraph], max_passage_tokens: int,
                   max_question_tokens: int, cache: Path | None, desc: str) -> SplitFeatures:
    if cache is not None and cache.exists():
        return torch.load(cache, weights_only=False)
    passage_states = _encode_all(bm, [p.context for p in paragraphs], max_passage_tokens, f"{desc} passages")
    flat_q = [q.text for p in paragraphs for q in p.questions]
    flat_states = _encode_all(bm, flat_q, max_question_tokens, f"{desc} questions")
    question_states, prompt_ids, answer_ids, k = [], [], [], 0
    tok = bm.lm_tokenizer
    for p in paragraphs:
        n = len(p.questions)
        question_states.append(flat_states[k:k + n])
        k += n
        prompt_ids.append([tok(build_prompt(q.text), add_special_tokens=False)["input_ids"] for q in p.questions])
        answer_ids.append([tok((q.answers[0] if q.answers else "") + ANSWER_SUFFIX,
                               add_special_tokens=False)["input_ids"] for q in p.questions])
    feats = SplitFeatures(paragraphs, passage_states, question_states, prompt_ids, answer_ids)
    if cache is not None:
        cache.parent.mkdir(parents=True, exist_ok=True)
        torch.save(feats, cache)
    return feats


def pad_states(states: list[torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
    """List of [n_i, E] -> padded [B, n_max, E] fp32 and mask [B, n_max]."""
    n = max(s.shape[0] for s in states)
    out = torch.zeros(len(states), n, states[0].shape[1])
    mask = torch.zeros(len(states), n, dtype=torch.long)
    for i, s in enumerate(states):
        out[i, : s.shape[0]] = s.float()
        mask[i, : s.shape[0]] = 1
    return out, mask


def pad_sequences(prompts: list[list[int]], answers: list[list[int]], pad_id: int):
    """Right-padded prompt+answer ids [B, n], attention mask, and the mask of answer tokens."""
    seqs = [p + a for p, a in zip(prompts, answers)]
    n = max(len(s) for s in seqs)
    ids = torch.full((len(seqs), n), pad_id, dtype=torch.long)
    mask = torch.zeros(len(seqs), n, dtype=torch.long)
    target = torch.zeros(len(seqs), n, dtype=torch.long)
    for i, (p, a) in enumerate(zip(prompts, answers)):
        ids[i, : len(p) + len(a)] = torch.tensor(p + a)
        mask[i, : len(p) + len(a)] = 1
        target[i, len(p): len(p) + len(a)] = 1
    return ids, mask, target
