"""nn.Modules with flat tensor inputs/outputs, one per ONNX file of the bundle."""
import torch
import torch.nn as nn
from transformers import DynamicCache

from .build import sentence_embedding


class EncoderGraph(nn.Module):
    """input_ids, attention_mask [B, n] -> token_states [B, n, E], embedding [B, E] (normalized)."""

    def __init__(self, encoder):
        super().__init__()
        self.encoder = encoder

    def forward(self, input_ids, attention_mask):
        states = self.encoder(input_ids=input_ids, attention_mask=attention_mask,
                              token_type_ids=torch.zeros_like(input_ids)).last_hidden_state
        return states, sentence_embedding(states, attention_mask)


class DecoderGraph(nn.Module):
    """The frozen LM in the Optimum decoder-with-past layout."""

    def __init__(self, lm, layers: int):
        super().__init__()
        self.lm = lm
        self.layers = layers

    def forward(self, input_ids, attention_mask, position_ids, *past):
        cache = DynamicCache()
        for layer in range(self.layers):
            cache.update(past[2 * layer], past[2 * layer + 1], layer)
        out = self.lm(input_ids=input_ids, attention_mask=causal_bias(attention_mask, input_ids.shape[1]),
                      position_ids=position_ids, past_key_values=cache, use_cache=True)
        present = []
        for layer in range(self.layers):
            k, v = _layer_kv(out.past_key_values, layer)
            present += [k, v]
        return (out.logits, *present)


def causal_bias(attention_mask: torch.Tensor, new_tokens: int) -> torch.Tensor:
    """[B, total] 0/1 -> additive [B, 1, new, total]: new token i sees every kept key up to itself.

    Built here with plain ops because transformers' own mask builder does not trace to ONNX.
    """
    total = attention_mask.shape[1]
    key_index = torch.arange(total)[None, :]                                  # [1, total]
    query_index = torch.arange(new_tokens)[:, None] + (total - new_tokens)    # [new, 1]
    visible = (key_index <= query_index)[None, None] & attention_mask[:, None, None, :].bool()
    return (~visible).to(torch.float32) * torch.finfo(torch.float32).min


def _layer_kv(cache, layer: int):
    if hasattr(cache, "layers"):
        return cache.layers[layer].keys, cache.layers[layer].values
    return cache.key_cache[layer], cache.value_cache[layer]
