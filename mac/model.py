"""The MAC networks around a frozen causal LM and a frozen sentence encoder.

    passage  --encoder-->  token states [n, E] --amortizer--> modulation [T, M]   (stored in memory)
    question --encoder-->  token states [q, E]
    (question, memories [N, T, M]) --aggregator--> fused modulation [T, M]  (same space: re-aggregable)
    fused [T, M] --expander--> prefix keys/values [L, 2, H_kv, P, D_head] --> frozen LM past_key_values

Because the fused modulation lives in the memories' own space, hierarchical aggregation is just the
aggregator applied again to the fused results of groups.
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

from .config import MacConfig


class Attention(nn.Module):
    """Multi-head attention; `bias` is an additive mask [B, 1, 1, S] (0 keep, -inf drop)."""

    def __init__(self, width: int, heads: int):
        super().__init__()
        assert width % heads == 0, f"width {width} must divide into {heads} heads"
        self.heads = heads
        self.q = nn.Linear(width, width)
        self.kv = nn.Linear(width, 2 * width)
        self.out = nn.Linear(width, width)

    def forward(self, x: torch.Tensor, ctx: torch.Tensor, bias: torch.Tensor | None):
        """Returns the output [B, Q, W] and the attention probabilities [B, h, Q, S]."""
        B, Q, W = x.shape
        S = ctx.shape[1]
        h = self.heads
        q = self.q(x).view(B, Q, h, W // h).transpose(1, 2)               # [B, h, Q, d]
        k, v = self.kv(ctx).view(B, S, 2, h, W // h).permute(2, 0, 3, 1, 4)  # [B, h, S, d] each
        att = (q @ k.transpose(-1, -2)) / math.sqrt(W // h)                # [B, h, Q, S]
        if bias is not None:
            att = att + bias
        probs = att.softmax(-1)
        y = probs @ v                                                      # [B, h, Q, d]
        return self.out(y.transpose(1, 2).reshape(B, Q, W)), probs


class Block(nn.Module):
    """Pre-norm block: cross-attention to a context, self-attention among queries, MLP."""

    def __init__(self, width: int, heads: int):
        super().__init__()
        self.norm_x = nn.LayerNorm(width)
        self.norm_ctx = nn.LayerNorm(width)
        self.cross = Attention(width, heads)
        self.norm_self = nn.LayerNorm(width)
        self.self_attn = Attention(width, heads)
        self.norm_mlp = nn.LayerNorm(width)
        self.mlp = nn.Sequential(nn.Linear(width, 4 * width), nn.GELU(), nn.Linear(4 * width, width))

    def forward(self, x, ctx, ctx_bias):
        """Returns the new queries and the cross-attention probabilities [B, h, Q, S]."""
        attended, probs = self.cross(self.norm_x(x), self.norm_ctx(ctx), ctx_bias)
        x = x + attended
        y = self.norm_self(x)
        x = x + self.self_attn(y, y, None)[0]
        return x + self.mlp(self.norm_mlp(x)), probs


def mask_to_bias(mask: torch.Tensor) -> torch.Tensor:
    """[B, S] of 0/1 -> additive [B, 1, 1, S]; a large negative rather than -inf keeps ONNX finite."""
    return (1.0 - mask.to(torch.float32))[:, None, None, :] * -1e9


class Amortizer(nn.Module):
    """Passage token states [B, n, E] -> modulation [B, T, M], in one forward pass."""

    def __init__(self, c: MacConfig):
        super().__init__()
        self.latents = nn.Parameter(torch.randn(c.mem_tokens, c.width) * 0.02)
        self.proj_in = nn.Linear(c.encoder_dim, c.width)
        self.blocks = nn.ModuleList(Block(c.width, c.heads) for _ in range(c.amortizer_blocks))
        self.norm = nn.LayerNorm(c.width)
        self.proj_out = nn.Linear(c.width, c.mod_dim)

    def forward(self, states: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        ctx = self.proj_in(states)
        bias = mask_to_bias(mask)
        x = self.latents.expand(states.shape[0], -1, -1)
        for block in self.blocks:
            x, _ = block(x, ctx, bias)
        # tanh bounds every number to [-1, 1], so int8 storage loses nothing to clipping.
        return torch.tanh(self.proj_out(self.norm(x)))


class Aggregator(nn.Module):
    """(question token states [B, q, E], memories [B, N, T, M]) -> fused modulation [B, T, M].

    The context of the cross-attention is the memories' tokens only. The question enters twice: it
    conditions the queries (unless `question_queries` is off), and it scores every memory (a dot
    product of the pooled question with the memory's pooled tokens). The log-softmax of those scores is added to the attention bias of each
    memory's tokens, so the fusion is a selection-weighted mixture; training supervises the scores
    with the gold memory. An earlier design also put the question tokens in the context, and the
    trained aggregator attended only to them: a prefix that ignored memory content entirely.
    """

    def __init__(self, c: MacConfig):
        super().__init__()
        self.queries = nn.Parameter(torch.randn(c.mem_tokens, c.width) * 0.02)
        self.slot = nn.Parameter(torch.randn(c.mem_tokens, c.width) * 0.02)  # which token of a memory
        self.question_to_queries = nn.Linear(c.encoder_dim, c.width) if c.question_queries else None
        self.memory_in = nn.Linear(c.mod_dim, c.width)
        self.score_question = nn.Linear(c.encoder_dim, c.width)
        self.score_memory = nn.Linear(c.mod_dim, c.width)
        self.blocks = nn.ModuleList(Block(c.width, c.heads) for _ in range(c.aggregator_blocks))
        self.norm = nn.LayerNorm(c.width)
        self.proj_out = nn.Linear(c.width, c.mod_dim)

    def selection(self, q_pooled, memories, memory_mask):
        """Log-probabilities [B, N] that each memory is the one the question needs."""
        width = self.score_question.out_features
        q = self.score_question(q_pooled)                                       # [B, W]
        m = self.score_memory(memories.mean(2))                                 # [B, N, W]
        scores = (m @ q[:, :, None]).squeeze(-1) / math.sqrt(width)
        scores = scores + (1.0 - memory_mask.to(scores.dtype)) * -1e9
        return scores.log_softmax(-1)

    def forward(self, q_states, q_mask, memories, memory_mask, return_weights: bool = False):
        """With return_weights, also the selection probabilities [B, N]: the weight the service
        reports for a source, and what the auxiliary selection loss supervises."""
        B, N, T, M = memories.shape
        q_mask_f = q_mask.to(q_states.dtype)
        q_pooled = (q_states * q_mask_f[..., None]).sum(1) / q_mask_f.sum(1, keepdim=True).clamp(min=1.0)
        log_select = self.selection(q_pooled, memories, memory_mask)            # [B, N]
        if self.question_to_queries is not None:   # (this form keeps the exported graph as it always was)
            x = self.queries[None] + self.question_to_queries(q_pooled)[:, None, :]  # [B, T, W]
        else:
            x = self.queries[None].expand(B, -1, -1)
        ctx = (self.memory_in(memories) + self.slot[None, None]).reshape(B, N * T, -1)
        bias = log_select[:, :, None].expand(B, N, T).reshape(B, 1, 1, N * T)
        for block in self.blocks:
            x, _ = block(x, ctx, bias)
        fused = torch.tanh(self.proj_out(self.norm(x)))
        if not return_weights:
            return fused
        return fused, log_select.exp()


class Expander(nn.Module):
    """Fused modulation [B, T, M] -> per-layer prefix keys and values, each [B, L, H_kv, P, D_head]."""

    def __init__(self, c: MacConfig):
        super().__init__()
        self.c = c
        slots = c.lm_layers * c.prefix_len
        self.queries = nn.Parameter(torch.randn(slots, c.width) * 0.02)
        self.mod_in = nn.Linear(c.mod_dim, c.width)
        self.blocks = nn.ModuleList(Block(c.width, c.heads) for _ in range(c.expander_blocks))
        self.norm = nn.LayerNorm(c.width)
        kv = c.lm_kv_heads * c.lm_head_dim
        # One output map per LM layer: layers expect keys/values at very different scales.
        self.out_w = nn.Parameter(torch.randn(c.lm_layers, c.width, 2 * kv) * (0.02 / math.sqrt(c.width)))
        self.out_b = nn.Parameter(torch.zeros(c.lm_layers, 1, 2 * kv))

    def forward(self, fused):
        c = self.c
        B = fused.shape[0]
        x = self.queries.expand(B, -1, -1)
        ctx = self.mod_in(fused)
        for block in self.blocks:
            x, _ = block(x, ctx, None)
        x = self.norm(x).view(B, c.lm_layers, c.prefix_len, c.width)
        kv = torch.einsum("blpw,lwk->blpk", x, self.out_w) + self.out_b[None]   # [B, L, P, 2*H*D]
        kv = kv.view(B, c.lm_layers, c.prefix_len, 2, c.lm_kv_heads, c.lm_head_dim)
        kv = kv.permute(3, 0, 1, 4, 2, 5)                                       # [2, B, L, H, P, D]
        return kv[0], kv[1]


class MacNetworks(nn.Module):
    """The trainable part: everything except the frozen LM and the frozen encoder."""

    def __init__(self, c: MacConfig):
        super().__init__()
        assert c.lm_layers and c.encoder_dim, "fill the model dimensions before building (see build.py)"
        self.config = c
        self.amortizer = Amortizer(c)
        self.aggregator = Aggregator(c)
        self.expander = Expander(c)

    def aggregate(self, q_states, q_mask, memories, memory_mask, return_weights: bool = False):
        """Hierarchical: fuse windows of at most `aggregation_window` memories, then fuse the results.
        With return_weights, also the top level's selection probabilities."""
        window = self.config.aggregation_window
        while memories.shape[1] > window:
            B, N, T, M = memories.shape
            groups = math.ceil(N / window)
            pad = groups * window - N
            memories = F.pad(memories, (0, 0, 0, 0, 0, pad))
            memory_mask = F.pad(memory_mask, (0, pad))
            g_mem = memories.view(B * groups, window, T, M)
            g_mask = memory_mask.view(B * groups, window)
            rep = lambda t: t.repeat_interleave(groups, 0)
            fused = self.aggregator(rep(q_states), rep(q_mask), g_mem, g_mask)
            memories = fused.view(B, groups, T, M)
            memory_mask = (g_mask.sum(1) > 0).to(memory_mask.dtype).view(B, groups)
        return self.aggregator(q_states, q_mask, memories, memory_mask, return_weights)
