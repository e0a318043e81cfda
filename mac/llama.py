"""The frozen LM (SmolLM2, a Llama) in plain PyTorch, with LoRA adapters the memory encoder can switch on.

One forward serves the three uses of training the memory encoder:
  - encode: the passage's context turn with `lora=True` -> every layer's keys (RoPE applied) and values;
  - read: prompt tokens after a key/value past (the memory, or the whole passage for the teacher);
  - score: logits at chosen positions only (the answer's), so the LM head runs on a few rows.
Weights load from a Hugging Face state dict (names as in LlamaForCausalLM); matches its logits (mac/tests).
"""
import math
from dataclasses import dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F


@dataclass
class LlamaConfig:
    vocab: int = 49152
    dim: int = 576
    layers: int = 30
    heads: int = 9
    kv_heads: int = 3
    head_dim: int = 64
    hidden: int = 1536
    rope_theta: float = 100000.0
    eps: float = 1e-5

    @classmethod
    def from_hf(cls, cfg: dict) -> "LlamaConfig":
        assert not cfg.get("rope_scaling"), "rope scaling is not supported"
        return cls(cfg["vocab_size"], cfg["hidden_size"], cfg["num_hidden_layers"], cfg["num_attention_heads"],
                   cfg["num_key_value_heads"], cfg.get("head_dim") or cfg["hidden_size"] // cfg["num_attention_heads"],
                   cfg["intermediate_size"], cfg["rope_theta"], cfg["rms_norm_eps"])

    def inv_freq(self) -> torch.Tensor:
        return 1.0 / (self.rope_theta ** (torch.arange(0, self.head_dim, 2, dtype=torch.float64) / self.head_dim))


class LoRALinear(nn.Module):
    """A frozen linear map plus an optional low-rank update B·A, applied only when asked (`lora=True`)."""

    def __init__(self, d_in: int, d_out: int):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(d_out, d_in), requires_grad=False)
        self.A: nn.Parameter | None = None
        self.B: nn.Parameter | None = None
        self.scale = 0.0

    def add_lora(self, rank: int, alpha: float):
        self.A = nn.Parameter(torch.randn(rank, self.weight.shape[1]) / math.sqrt(self.weight.shape[1]))
        self.B = nn.Parameter(torch.zeros(self.weight.shape[0], rank))   # zero: the adapted LM starts as the LM
        self.scale = alpha / rank

    def forward(self, x, lora: bool):
        y = F.linear(x, self.weight.to(x.dtype))
        if lora and self.A is not None:
            y = y + F.linear(F.linear(x, self.A.to(x.dtype)), self.B.to(x.dtype)) * self.scale
        return y


class RMSNorm(nn.Module):
    def __init__(self, dim: int, eps: float):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(dim), requires_grad=False)
        self.eps = eps

    def forward(self, x):
        xf = x.float()
        return (xf * torch.rsqrt(xf.pow(2).mean(-1, keepdim=True) + self.eps)).to(x.dtype) * self.weight.to(x.dtype)


def rotate_half(x):
    half = x.shape[-1] // 2
    return torch.cat([-x[..., half:], x[..., :half]], -1)


def rope_angles(positions, inv_freq, dtype):
    """positions [B, T] (any real numbers, negative too) -> (cos, sin) [B, 1, T, D] in dtype."""
    angles = positions.double()[..., None] * inv_freq.to(positions.device)             # [B, T, D/2]
    angles = torch.cat([angles, angles], -1)[:, None]                                   # [B, 1, T, D]
    return angles.cos().to(dtype), angles.sin().to(dtype)


def rope(x, cos_sin):
    cos, sin = cos_sin
    return x * cos + rotate_half(x) * sin


class Block(nn.Module):
    def __init__(self, c: LlamaConfig):
        super().__init__()
        self.c = c
        self.input_layernorm = RMSNorm(c.dim, c.eps)
        self.post_attention_layernorm = RMSNorm(c.dim, c.eps)
        self.q_proj, self.k_proj = LoRALinear(c.dim, c.heads * c.head_dim), LoRALinear(c.dim, c.kv_heads * c.head_dim)
        self.v_proj, self.o_proj = LoRALinear(c.dim, c.kv_heads * c.head_dim), LoRALinear(c.heads * c.head_dim, c.dim)
        self.gate_proj, self.up_proj = LoRALinear(c.dim, c.hidden), LoRALinear(c.dim, c.hidden)
        self.down_proj = LoRALinear(c.hidden, c.dim)

    def linears(self) -> dict[str, LoRALinear]:
        return {"self_attn.q_proj": self.q_proj, "self_attn.k_proj": self.k_proj, "self_attn.v_proj": self.v_proj,
                "self_attn.o_proj": self.o_proj, "mlp.gate_proj": self.gate_proj, "mlp.up_proj": self.up_proj,
                "mlp.down_proj": self.down_proj}

    def forward(self, x, cos_sin, past, mask, lora: bool):
        """x [B, T, dim]; past (K, V) [B, Hkv, S, D] or None; mask [B, 1, T, S+T] bool (True = may attend)."""
        c, (B, T, _) = self.c, x.shape
        h = self.input_layernorm(x)
        q = self.q_proj(h, lora).view(B, T, c.heads, c.head_dim).transpose(1, 2)
        k = self.k_proj(h, lora).view(B, T, c.kv_heads, c.head_dim).transpose(1, 2)
        v = self.v_proj(h, lora).view(B, T, c.kv_heads, c.head_dim).transpose(1, 2)
        q, k = rope(q, cos_sin), rope(k, cos_sin)
        kv = (k, v)
        if past is not None:
            k, v = torch.cat([past[0].to(k.dtype), k], 2), torch.cat([past[1].to(v.dtype), v], 2)
        rep = c.heads // c.kv_heads
        att = F.scaled_dot_product_attention(q, k.repeat_interleave(rep, 1), v.repeat_interleave(rep, 1), attn_mask=mask)
        x = x + self.o_proj(att.transpose(1, 2).reshape(B, T, -1), lora)
        h = self.post_attention_layernorm(x)
        return x + self.down_proj(F.silu(self.gate_proj(h, lora)) * self.up_proj(h, lora), lora), kv


class Llama(nn.Module):
    def __init__(self, c: LlamaConfig):
        super().__init__()
        self.c = c
        self.embed_tokens = nn.Parameter(torch.empty(c.vocab, c.dim), requires_grad=False)   # tied LM head
        self.layers = nn.ModuleList(Block(c) for _ in range(c.layers))
        self.norm = RMSNorm(c.dim, c.eps)
        self._inv_freq: dict[str, torch.Tensor] = {}   # float64 per device, out of reach of .to(dtype)

    def inv_freq(self, device) -> torch.Tensor:
        key = str(device)
        if key not in self._inv_freq:
            self._inv_freq[key] = self.c.inv_freq().to(device)
        return self._inv_freq[key]

    def load_hf(self, state: dict[str, torch.Tensor]):
        own = {"embed_tokens": self.embed_tokens, "norm.weight": self.norm.weight}
        for i, block in enumerate(self.layers):
            own[f"layers.{i}.input_layernorm.weight"] = block.input_layernorm.weight
            own[f"layers.{i}.post_attention_layernorm.weight"] = block.post_attention_layernorm.weight
            own.update({f"layers.{i}.{name}.weight": lin.weight for name, lin in block.linears().items()})
        state = {k.removeprefix("model."): v for k, v in state.items() if k != "lm_head.weight"}
        state["embed_tokens"] = state.pop("embed_tokens.weight")
        assert set(state) == set(own), f"state dict mismatch: {sorted(set(state) ^ set(own))[:6]}"
        with torch.no_grad():
            for k, p in own.items():
                assert p.shape == state[k].shape, f"{k}: {tuple(state[k].shape)} vs {tuple(p.shape)}"
                p.copy_(state[k])

    def add_lora(self, rank: int, alpha: float, targets: tuple[str, ...]):
        for block in self.layers:
            for name, lin in block.linears().items():
                if name.split(".")[-1] in targets:
                    lin.add_lora(rank, alpha)

    def lora_state(self) -> dict[str, torch.Tensor]:
        out = {}
        for i, block in enumerate(self.layers):
            for name, lin in block.linears().items():
                if lin.A is not None:
                    out[f"layers.{i}.{name}.A"], out[f"layers.{i}.{name}.B"] = lin.A.detach(), lin.B.detach()
        return out

    def load_lora(self, state: dict[str, torch.Tensor], alpha: float):
        for i, block in enumerate(self.layers):
            for name, lin in block.linears().items():
                key = f"layers.{i}.{name}"
                if key + ".A" in state:
                    lin.add_lora(state[key + ".A"].shape[0], alpha)
                    with torch.no_grad():
                        lin.A.copy_(state[key + ".A"])
                        lin.B.copy_(state[key + ".B"])

    def forward(self, ids, positions, past=None, mask=None, lora=False):
        """ids [B, T], positions [B, T] -> (final hidden [B, T, dim] or None, per-layer (K, V) of these tokens).

        past: per-layer (K, V) [B, Hkv, S, D], keys already rotated. mask [B, 1, T, S+T] bool; None = causal
        over the tokens with every past slot visible.
        """
        B, T = ids.shape
        S = 0 if past is None else past[0][0].shape[2]
        if mask is None:
            mask = torch.ones(T, S + T, dtype=torch.bool, device=ids.device).tril(S)[None, None].expand(B, 1, T, S + T)
        x = F.embedding(ids, self.embed_tokens)
        cos_sin = rope_angles(positions, self.inv_freq(ids.device), x.dtype)
        kvs = []
        for i, block in enumerate(self.layers):
            x, kv = block(x, cos_sin, None if past is None else past[i], mask, lora)
            kvs.append(kv)
        return self.norm(x), kvs

    def logits(self, hidden):
        return F.linear(hidden, self.embed_tokens.to(hidden.dtype)).float()
