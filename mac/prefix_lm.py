"""Runs the frozen LM with a modulation prefix as past_key_values (P-tuning v2 style)."""
import torch
from transformers import DynamicCache


def prefix_cache(prefix_k: torch.Tensor, prefix_v: torch.Tensor) -> DynamicCache:
    """prefix_k/v: [B, L, H_kv, P, D] -> a cache holding P positions for every layer."""
    cache = DynamicCache()
    for layer in range(prefix_k.shape[1]):
        cache.update(prefix_k[:, layer], prefix_v[:, layer], layer)
    return cache


def hidden_with_prefix(lm, input_ids, attention_mask, prefix_k=None, prefix_v=None) -> torch.Tensor:
    """Final hidden states [B, n, d]. Positions continue after the P prefix slots, as in the ONNX path."""
    P = 0 if prefix_k is None else prefix_k.shape[3]
    B = input_ids.shape[0]
    position_ids = (attention_mask.long().cumsum(-1) - 1).clamp(min=0) + P
    cache = prefix_cache(prefix_k, prefix_v) if P else None
    full_mask = torch.cat([attention_mask.new_ones(B, P), attention_mask], 1) if P else attention_mask
    out = lm.model(input_ids=input_ids, attention_mask=full_mask, position_ids=position_ids,
                   past_key_values=cache, use_cache=False)
    return out.last_hidden_state


def answer_nll(lm, input_ids, attention_mask, target_mask, prefix_k=None, prefix_v=None) -> torch.Tensor:
    """Mean NLL over target tokens only; logits are computed just where a target is predicted."""
    hidden = hidden_with_prefix(lm, input_ids, attention_mask, prefix_k, prefix_v)
    predict_at = target_mask[:, 1:].bool()                        # token t+1 is predicted at t
    h = hidden[:, :-1][predict_at]                                 # [K, d]
    logits = lm.lm_head(h)                                         # [K, V]
    targets = input_ids[:, 1:][predict_at]
    return torch.nn.functional.cross_entropy(logits.float(), targets)
