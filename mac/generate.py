"""Greedy decoding after a key/value prefix, in PyTorch: the reference the service's ONNX path is checked against."""
import torch
from transformers import DynamicCache

from .prompt import STOP_TOKENS


def prefix_cache(prefix_k: torch.Tensor, prefix_v: torch.Tensor) -> DynamicCache:
    """prefix_k/v: [B, L, H_kv, P, D] -> a cache holding P positions for every layer."""
    cache = DynamicCache()
    for layer in range(prefix_k.shape[1]):
        cache.update(prefix_k[:, layer], prefix_v[:, layer], layer)
    return cache


@torch.no_grad()
def greedy_generate(lm, prompt_ids: list[int], prefix_k, prefix_v, tokenizer, max_new_tokens: int = 16,
                    stop_ids: set[int] | None = None) -> list[int]:
    """prefix_k/v: [1, L, H, P, D] or None. Returns the generated token ids (stop token excluded)."""
    # The same stop set the manifest gives the service (the GGUF tokenizer reports <|im_start|> as eos).
    stop_ids = stop_ids or {tokenizer.convert_tokens_to_ids(t) for t in STOP_TOKENS}
    P = 0 if prefix_k is None else prefix_k.shape[3]
    cache = prefix_cache(prefix_k, prefix_v) if P else None
    ids = torch.tensor([prompt_ids])
    out: list[int] = []
    total = P + len(prompt_ids)
    positions = torch.arange(P, total)[None]
    for _ in range(max_new_tokens):
        res = lm(input_ids=ids, attention_mask=torch.ones(1, total, dtype=torch.long), position_ids=positions,
                 past_key_values=cache, use_cache=True)
        cache = res.past_key_values
        nxt = int(res.logits[0, -1].argmax())
        if nxt in stop_ids:
            break
        out.append(nxt)
        ids = torch.tensor([[nxt]])
        positions = torch.tensor([[total]])
        total += 1
    return out
