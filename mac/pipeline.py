"""The exported bundle run with ONNX Runtime, the way the service runs it (no PyTorch).

    bundle = OnnxBundle("bundles/default")
    states, mask, emb = bundle.encode(passages)               # [B, n, E], [B, n], [B, E]
    memories = bundle.amortize(states, mask)                  # [B, T, M], stored (see CODECS)
    q_states, q_mask, q_emb = bundle.encode([question], bundle.max_question_tokens)
    prefix_k, prefix_v, weights = bundle.aggregate(q_states, q_mask, memories)
    answer = bundle.generate(build_prompt(question), (prefix_k, prefix_v))
"""
import json
import math
import time
from pathlib import Path
from typing import NamedTuple

import numpy as np
import onnxruntime as ort
from tokenizers import Tokenizer

FORMAT = "mac-bundle"
FORMAT_VERSION = 1


# Modulations are tanh-bounded to [-1, 1], so a fixed int8 scale of 127 never clips and needs no
# per-passage scale: T*M bytes per passage, round-trip error <= 1/254.
def quantize_int8(modulation: np.ndarray) -> np.ndarray:
    # float64 and half-up rounding, as JavaScript's Math.round, so the service stores the same bytes
    scaled = np.floor(modulation.astype(np.float64) * 127.0 + 0.5)
    return np.clip(scaled, -127, 127).astype(np.int8)


def dequantize_int8(stored: np.ndarray) -> np.ndarray:
    return stored.astype(np.float32) / 127.0


CODECS = {  # name -> (encode, decode); what the memory bank stores per passage
    "int8": (quantize_int8, dequantize_int8),
    "fp16": (lambda m: m.astype(np.float16), lambda s: s.astype(np.float32)),
    "fp32": (lambda m: m.astype(np.float32), lambda s: s.astype(np.float32)),
}


class Generation(NamedTuple):
    text: str
    token_ids: list[int]
    prompt_token_count: int
    seconds_to_first_token: float


class OnnxBundle:
    def __init__(self, path: str | Path, threads: int = 2):
        self.path = Path(path)
        manifest_path = self.path / "manifest.json"
        assert manifest_path.exists(), f"{manifest_path} not found: run `npm run setup` to build the bundle"
        self.manifest = json.loads(manifest_path.read_text())
        m = self.manifest
        assert m.get("format") == FORMAT and m.get("format_version") == FORMAT_VERSION, (
            f"{manifest_path}: format {m.get('format')!r} v{m.get('format_version')} is not {FORMAT!r} "
            f"v{FORMAT_VERSION}: run `npm run setup` to rebuild the bundle")
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        self.sessions = {}
        for name, spec in m["models"].items():
            session = ort.InferenceSession(str(self.path / spec["file"]), options,
                                           providers=["CPUExecutionProvider"])
            for kind, got in (("inputs", session.get_inputs()), ("outputs", session.get_outputs())):
                want = [io["name"] for io in spec[kind]]
                assert [io.name for io in got] == want, (
                    f"{spec['file']}: {kind} {[io.name for io in got]} differ from the manifest's {want}: "
                    f"the bundle is stale or corrupt, run `npm run setup` to rebuild it")
            self.sessions[name] = session

        d, limits = m["dims"], m["limits"]
        self.layers, self.kv_heads, self.head_dim = d["lm_layers"], d["lm_kv_heads"], d["lm_head_dim"]
        self.prefix_len, self.window = d["prefix_len"], d["aggregation_window"]
        self.max_passage_tokens, self.max_question_tokens = limits["max_passage_tokens"], limits["max_question_tokens"]
        self.max_lm_tokens = limits["max_lm_tokens"]
        self.stop_ids = set(m["prompt"]["stop_token_ids"])
        # The encoder tokenizer's own post-processor adds [CLS]/[SEP], counted within the truncation limit.
        encoder_file = str(self.path / m["tokenizers"]["encoder"])
        self.encoder_tokenizer = Tokenizer.from_file(encoder_file)   # untruncated: for counting
        self._truncating = {}
        for limit in (self.max_passage_tokens, self.max_question_tokens):
            self._truncating[limit] = Tokenizer.from_file(encoder_file)
            self._truncating[limit].enable_truncation(limit)
        self.lm_tokenizer = Tokenizer.from_file(str(self.path / m["tokenizers"]["lm"]))

    def count_encoder_tokens(self, text: str) -> int:
        """The token count passage splitting uses: encoder tokens without [CLS]/[SEP]."""
        return len(self.encoder_tokenizer.encode(text, add_special_tokens=False).ids)

    def encode(self, texts: list[str], max_tokens: int | None = None):
        """Right-padded batch -> token states [B, n, E], mask [B, n] int64, L2-normalized embedding [B, E].

        max_tokens: max_passage_tokens (default) or max_question_tokens, both from the manifest."""
        tokenizer = self._truncating[max_tokens or self.max_passage_tokens]
        encodings = tokenizer.encode_batch(texts)
        n = max(len(e.ids) for e in encodings)
        ids = np.zeros((len(texts), n), dtype=np.int64)   # 0 is [PAD]; masked out anyway
        mask = np.zeros((len(texts), n), dtype=np.int64)
        for row, e in enumerate(encodings):
            ids[row, : len(e.ids)] = e.ids
            mask[row, : len(e.ids)] = 1
        states, embedding = self.sessions["encoder"].run(None, {"input_ids": ids, "attention_mask": mask})
        return states, mask, embedding

    def amortize(self, states: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """Passage token states [B, n, E] -> modulation [B, T, M] in [-1, 1]."""
        return self.sessions["amortizer"].run(None, {"token_states": states, "attention_mask": mask})[0]

    def aggregate_level(self, q_states, q_mask, memories, memory_mask):
        """One level, one batched call: memories [B, N, T, M], memory_mask [B, N] -> fused [B, T, M],
        weights [B, N] and the prefix as a flat list (key, value per layer) of [B, H, P, D]."""
        outs = self.sessions["aggregator"].run(None, {"question_states": q_states, "question_mask": q_mask,
                                                      "memories": memories, "memory_mask": memory_mask})
        return outs[0], outs[1], outs[2:]

    def aggregate(self, q_states: np.ndarray, q_mask: np.ndarray, memories: np.ndarray):
        """One question [1, q, E] over memories [N, T, M] -> prefix_k, prefix_v [L, 1, H, P, D], weights [N].

        Hierarchical, exactly as MacNetworks.aggregate: while N > window, fuse zero-padded groups of
        `window` memories (each with the question) and treat the fused results as the new memories.
        A passage's weight is the product of its share at every level, so weights still sum to 1.
        """
        assert q_states.shape[0] == 1, f"one question at a time, got a batch of {q_states.shape[0]}"
        N, T, M = memories.shape
        assert N > 0, "aggregating an empty memory"
        memory_mask = np.ones(N, dtype=np.int64)
        weights = np.ones(N, dtype=np.float32)
        group_of = np.arange(N)   # which current memory each original passage has been fused into
        while memories.shape[0] > self.window:
            groups = math.ceil(memories.shape[0] / self.window)
            pad = groups * self.window - memories.shape[0]
            memories = np.concatenate([memories, np.zeros((pad, T, M), np.float32)])
            memory_mask = np.concatenate([memory_mask, np.zeros(pad, np.int64)])
            g_mask = memory_mask.reshape(groups, self.window)
            fused, g_weights, _ = self.aggregate_level(np.repeat(q_states, groups, 0), np.repeat(q_mask, groups, 0),
                                                       memories.reshape(groups, self.window, T, M), g_mask)
            weights *= g_weights.reshape(-1)[group_of]
            group_of //= self.window
            memories, memory_mask = fused, (g_mask.sum(1) > 0).astype(np.int64)
        _, top_weights, prefix = self.aggregate_level(q_states, q_mask, memories[None], memory_mask[None])
        weights *= top_weights[0][group_of]
        return np.stack(prefix[0::2]), np.stack(prefix[1::2]), weights

    def generate(self, prompt: str, prefix: tuple[np.ndarray, np.ndarray] | None = None,
                 max_new_tokens: int = 16) -> Generation:
        """Greedy decoding with the KV cache. The prefix (prefix_k, prefix_v [L, 1, H, P, D]) is the first
        past, so the prompt's positions start at P and the attention mask covers P + prompt tokens."""
        start = time.perf_counter()
        prompt_ids = self.lm_tokenizer.encode(prompt, add_special_tokens=False).ids  # template has its own
        if prefix is None:
            empty = np.zeros((1, self.kv_heads, 0, self.head_dim), np.float32)
            prefix = (np.stack([empty] * self.layers), np.stack([empty] * self.layers))
        prefix_k, prefix_v = prefix
        P = prefix_k.shape[3]
        total = P + len(prompt_ids)
        assert total + max_new_tokens <= self.max_lm_tokens, (
            f"prompt of {len(prompt_ids)} tokens + {P} prefix + {max_new_tokens} new exceeds the LM's "
            f"{self.max_lm_tokens} tokens")
        past = {}
        for i in range(self.layers):
            past[f"past_key_values.{i}.key"], past[f"past_key_values.{i}.value"] = prefix_k[i], prefix_v[i]
        input_ids = np.array([prompt_ids], dtype=np.int64)
        position_ids = np.arange(P, total, dtype=np.int64)[None]
        out_ids: list[int] = []
        first_token_s = 0.0
        for step in range(max_new_tokens):
            outs = self.sessions["lm"].run(None, {"input_ids": input_ids, "position_ids": position_ids,
                                                  "attention_mask": np.ones((1, total), np.int64), **past})
            next_id = int(outs[0][0, -1].argmax())
            if step == 0:
                first_token_s = time.perf_counter() - start
            if next_id in self.stop_ids:
                break
            out_ids.append(next_id)
            # presents come in the same order as the pasts: key, value per layer
            past = {f"past_key_values.{i}.{kv}": outs[1 + 2 * i + j]
                    for i in range(self.layers) for j, kv in enumerate(("key", "value"))}
            input_ids = np.array([[next_id]], dtype=np.int64)
            position_ids = np.array([[total]], dtype=np.int64)
            total += 1
        return Generation(self.lm_tokenizer.decode(out_ids).strip(), out_ids, len(prompt_ids), first_token_s)
