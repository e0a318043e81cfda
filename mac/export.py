"""Exports the frozen base models, and the trained memory encoder if given, as one ONNX bundle (fp32).

    python -m mac.export --preset default --out bundles/fp32 --memory-encoder weights/memory-encoder-words-64.pt
    python -m mac.export --preset tiny --out bundles/tiny

The bundle folder holds encoder.onnx (retrieval embeddings), lm.onnx (the frozen LM, Optimum decoder-with-
past layout; written with fused kernels for Llama-family LMs, see fused_lm.py, traced otherwise),
memory_encoder.onnx (the LM with the trained adapters, reading passages into memories), the two
tokenizers, parity.json (fixed inputs and the PyTorch outputs, for the service's own parity test) and
manifest.json, the contract the service checks when it loads. mac/bundle_setup.py quantizes it.
"""
import argparse
import hashlib
import json
import shutil
import time
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import torch
from tqdm import tqdm

from .base_models import sha256_file
from .build import load_base_models
from .config import BundleConfig, MemoryConfig, preset
from .fused_lm import build_fused_decoder, fused_supported, rope_frequencies
from .generate import greedy_generate
from .onnx_wrappers import DecoderGraph, EncoderGraph
from .prompt import ANSWER_SUFFIX, CONTEXT, PASSAGE_SEPARATOR, QUESTION_TURN, STOP_TOKENS, TEMPLATE, build_prompt

FORMAT = "mac-bundle"
FORMAT_VERSION = 1
# Bumped when the exporter writes different graphs (or ids) for the same weights, so set-up rebuilds old bundles.
EXPORT_REVISION = 6
OPSET = 17
# Stated parity tolerances (max abs difference, ONNX Runtime vs PyTorch, fp32 on CPU). LM logits are
# O(10-30) and pass through 30 layers of differently fused kernels: 1e-2 absolute is ~1e-4 relative.
TOLERANCE = {"encoder": 1e-4, "lm": 1e-2, "memory_encoder": 1e-2}


# The building machine's PyTorch outputs for the parity test: they differ in the last bits from one CPU to
# another (AVX2 and AVX-512 sum in different orders), the models and tokenizers do not.
MACHINE_DEPENDENT = ("parity.json",)


def bundle_id(manifest: dict) -> str:
    """The bundle's name plus a digest of its models' and tokenizers' hashes: two bundles share an id only if
    those are byte-identical, so the same weights and exporter give the same id on every machine, and what
    is fitted to a bundle (calibration.json, answer logs) holds wherever it is rebuilt."""
    files = {name: spec for name, spec in manifest["files"].items() if name not in MACHINE_DEPENDENT}
    digest = json.dumps(files, sort_keys=True).encode()
    return f"{manifest['name']}-{hashlib.sha256(digest).hexdigest()[:12]}"


def _io(names_shapes: list[tuple[str, str, list]]) -> list[dict]:
    return [{"name": n, "dtype": d, "shape": s} for n, d, s in names_shapes]


def _export(module, args, path: Path, inputs: list[dict], outputs: list[dict]):
    dynamic = {}
    for spec in inputs + outputs:
        axes = {i: dim for i, dim in enumerate(spec["shape"]) if isinstance(dim, str)}
        if axes:
            dynamic[spec["name"]] = axes
    torch.onnx.export(module, args, str(path), input_names=[s["name"] for s in inputs],
                      output_names=[s["name"] for s in outputs], dynamic_axes=dynamic,
                      opset_version=OPSET, dynamo=False)
    onnx.checker.check_model(str(path))


def _parity(path: Path, module, args, input_names) -> tuple[float, list[np.ndarray]]:
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    got = session.run(None, {n: a.numpy() for n, a in zip(input_names, args)})
    with torch.no_grad():
        want = module(*args)
    want = [want] if isinstance(want, torch.Tensor) else list(want)
    diff = max(float(np.abs(g - w.numpy()).max()) for g, w in zip(got, want))
    return diff, [w.numpy() for w in want]


def fuse_bert(path: Path, cfg) -> None:
    """Rewrites a traced BERT encoder with ONNX Runtime's fused kernels (EmbedLayerNormalization, Attention,
    SkipLayerNormalization, BiasGelu): 542 nodes become 60 for MiniLM, ~1.25x faster; the parity check
    that follows compares the rewritten graph with PyTorch."""
    if cfg.model_type != "bert":
        return
    from onnxruntime.transformers.optimizer import optimize_model
    fused = optimize_model(str(path), model_type="bert", num_heads=cfg.num_attention_heads,
                           hidden_size=cfg.hidden_size, opt_level=1)
    fused.save_model_to_file(str(path))


def memory_manifest(lm, memory: MemoryConfig) -> dict:
    """The passage-memory contract: what to keep of the LM's cache, and the rotary frequencies the service
    needs to move kept keys to their place in a prefix (a key rotated at p, rotated again by d, is at p + d)."""
    inv_freq, scaling = rope_frequencies(lm.config)
    assert scaling == 1.0, f"rotary scaling {scaling}: moving cached keys would need it undone first"
    return {**memory.to_dict(), "rope_inv_freq": inv_freq.tolist()}


def trained_memory_config(weights: Path) -> MemoryConfig:
    """The memory a trained encoder was trained for: its slot rule and count, the other settings as configured."""
    tc = torch.load(weights, weights_only=True)["config"]
    return MemoryConfig(selection=tc["selection"], slots=tc["slots"])


def export_memory_encoder(lm, weights: Path, path: Path, max_positions: int, context_ids: list[int]):
    """The memory encoder (mac/train.py): the frozen LM's graph with the trained adapters beside its
    weights, reading a context turn and returning its keys/values.
    -> (parity max|diff|, manifest entry, fixture: the last layer's values of kv-head 0, first 4 dims, per position)."""
    from .llama import Llama, LlamaConfig
    ck = torch.load(weights, weights_only=True)
    tc = ck["config"]
    lora = {k: v.float() for k, v in ck["lora"].items()}
    scale = tc["lora_alpha"] / tc["lora_rank"]
    onnx.save(build_fused_decoder(lm, max_positions, lora=lora, lora_scale=scale, logits=False), str(path))
    # Parity: the exported graph against the training code's own LM with the same adapters.
    ref = Llama(LlamaConfig.from_hf(lm.config.to_dict()))
    ref.load_hf(lm.state_dict())
    ref.load_lora(lora, tc["lora_alpha"])
    ids = torch.tensor([context_ids])
    with torch.no_grad():
        _, kvs = ref(ids, torch.arange(len(context_ids))[None], lora=True)
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    L, Hkv, D = lm.config.num_hidden_layers, lm.config.num_key_value_heads, lm.config.head_dim
    feeds = {"input_ids": ids.numpy(), "attention_mask": np.ones_like(ids.numpy()),
             "position_ids": np.arange(len(context_ids))[None]}
    feeds |= {f"past_key_values.{i}.{kv}": np.zeros((1, Hkv, 0, D), np.float32) for i in range(L) for kv in ("key", "value")}
    got = sess.run(None, feeds)
    diff = max(float(np.abs(got[2 * i + j] - kvs[i][j].numpy()).max()) for i in range(L) for j in range(2))
    final = next((p for p in reversed(ck.get("probes", [])) if p.get("event") == "probe"), {})
    entry = {"file": path.name, "weights": str(weights), "weights_sha256": sha256_file(weights),
             "lora_rank": tc["lora_rank"], "lora_alpha": tc["lora_alpha"],
             "training": {"name": tc["name"], "steps": final.get("step"),
                          "probe": {k: round(final[k], 4) for k in ("right1", "wrong1", "gap1", "right8", "wrong8", "gap8") if k in final}}}
    fixture = {"context_ids": context_ids, "last_layer_values": kvs[-1][1][0, 0, :, :4].numpy().round(5).tolist()}
    return diff, entry, fixture


def export_bundle(out: Path, cfg: BundleConfig, name: str, memory_encoder: Path | None = None) -> dict:
    bm = load_base_models(cfg)
    bm.lm.config._attn_implementation = "eager"  # the traced graph uses our own explicit mask
    tmp = out.with_name(out.name + ".partial")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)

    L, H, D, E = cfg.lm_layers, cfg.lm_kv_heads, cfg.lm_head_dim, cfg.encoder_dim
    V = bm.lm.config.vocab_size
    passage = ["The Eiffel Tower was completed in 1889 for the World's Fair in Paris.",
               "SQLite is a small, fast, self-contained SQL database engine."]
    question = "When was the Eiffel Tower completed?"
    enc_batch = bm.encoder_tokenizer(passage, padding=True, return_tensors="pt")
    q_batch = bm.encoder_tokenizer([question], return_tensors="pt")

    models, parity = {}, {}
    steps = tqdm(total=2 + (memory_encoder is not None), desc="export", unit="model")

    # 1. the retrieval encoder: a text's embedding for the vector index
    enc = EncoderGraph(bm.encoder).eval()
    enc_in = _io([("input_ids", "int64", ["batch", "tokens"]), ("attention_mask", "int64", ["batch", "tokens"])])
    enc_out = _io([("token_states", "float32", ["batch", "tokens", E]), ("embedding", "float32", ["batch", E])])
    enc_args = (enc_batch["input_ids"], enc_batch["attention_mask"])
    _export(enc, enc_args, tmp / "encoder.onnx", enc_in, enc_out)
    fuse_bert(tmp / "encoder.onnx", bm.encoder.config)
    parity["encoder"], (_, p_emb) = _parity(tmp / "encoder.onnx", enc, enc_args, ["input_ids", "attention_mask"])
    with torch.no_grad():
        _, q_emb = enc(q_batch["input_ids"], q_batch["attention_mask"])
    models["encoder"] = {"file": "encoder.onnx", "inputs": enc_in, "outputs": enc_out}
    steps.update()

    # 2. the frozen LM, decoder with past (Optimum layout); a passage memory goes in as the first past.
    # Parity is checked after a random 2-position past, so the past's positions and mask are exercised.
    dec = DecoderGraph(bm.lm, L).eval()
    dec_in = _io([("input_ids", "int64", ["batch", "sequence"]), ("attention_mask", "int64", ["batch", "total"]),
                  ("position_ids", "int64", ["batch", "sequence"])] +
                 [(f"past_key_values.{i}.{kv}", "float32", ["batch", H, "past", D]) for i in range(L) for kv in ("key", "value")])
    dec_out = _io([("logits", "float32", ["batch", "sequence", V])] +
                  [(f"present.{i}.{kv}", "float32", ["batch", H, "total", D]) for i in range(L) for kv in ("key", "value")])
    prompt_ids = bm.lm_tokenizer(build_prompt(question), add_special_tokens=False, return_tensors="pt")["input_ids"]
    n, P = prompt_ids.shape[1], 2
    past = torch.randn(2 * L, 1, H, P, D, generator=torch.Generator().manual_seed(0))
    dec_args = (prompt_ids, torch.ones(1, P + n, dtype=torch.long), torch.arange(P, P + n)[None], *past)
    max_lm_tokens = min(2048, getattr(bm.lm.config, "max_position_embeddings", 2048))
    lm_graph = "fused" if fused_supported(bm.lm) else "traced"
    if lm_graph == "fused":
        # Written op by op with ONNX Runtime's fused kernels; checked against the same PyTorch module.
        onnx.save(build_fused_decoder(bm.lm, max_lm_tokens), str(tmp / "lm.onnx"))
    else:
        _export(dec, dec_args, tmp / "lm.onnx", dec_in, dec_out)
    parity["lm"], _ = _parity(tmp / "lm.onnx", dec, dec_args, [s["name"] for s in dec_in])
    models["lm"] = {"file": "lm.onnx", "inputs": dec_in, "outputs": dec_out}
    steps.update()

    # 3. the trained memory encoder, if any: the LM with adapters on its passage-reading pass
    memory = memory_manifest(bm.lm, trained_memory_config(memory_encoder) if memory_encoder else MemoryConfig())
    if memory_encoder is not None:
        assert lm_graph == "fused", "the memory encoder is written as a fused graph: Llama-family LMs only"
        context_ids = bm.lm_tokenizer(CONTEXT.format(passages=passage[0]), add_special_tokens=False)["input_ids"]
        parity["memory_encoder"], memory["encoder"], memory_fixture = export_memory_encoder(
            bm.lm, memory_encoder, tmp / "memory_encoder.onnx", max_lm_tokens, context_ids)
        models["memory_encoder"] = {"file": "memory_encoder.onnx", "inputs": dec_in, "outputs": dec_out[1:]}
        steps.update()
    steps.close()
    for key, diff in parity.items():
        assert diff <= TOLERANCE[key], f"{key}: ONNX differs from PyTorch by {diff:.2e} > {TOLERANCE[key]:.0e}"

    # The memory path's reference: a passage memory that keeps every position must answer as the passage
    # in the context turn does (tests/parity.test.ts reads it through the service's memory encoder).
    context_ids = bm.lm_tokenizer(build_prompt(question, passage[:1]), add_special_tokens=False)["input_ids"]
    fixtures = {
        "passages": passage, "question": question,
        "context_prompt_ids": context_ids,
        "context_greedy_tokens": greedy_generate(bm.lm, context_ids, None, None, bm.lm_tokenizer, max_new_tokens=8),
        "passage_embedding": p_emb.round(6).tolist(),
        "question_embedding": q_emb.numpy().round(6).tolist(),
    }
    if memory_encoder is not None:
        fixtures["memory_encoder"] = memory_fixture
    (tmp / "parity.json").write_text(json.dumps(fixtures))

    tok_dir = tmp / "tokenizers"
    bm.lm_tokenizer.save_pretrained(tok_dir / "lm")
    bm.encoder_tokenizer.save_pretrained(tok_dir / "encoder")
    stop_ids = [bm.lm_tokenizer.convert_tokens_to_ids(t) for t in STOP_TOKENS]
    files = sorted(p for p in tmp.rglob("*") if p.is_file())
    manifest = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "export_revision": EXPORT_REVISION,
        "name": name,
        "created_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "dims": {"lm_layers": L, "lm_kv_heads": H, "lm_head_dim": D, "lm_vocab": V, "encoder_dim": E},
        "limits": {"max_passage_tokens": cfg.max_passage_tokens, "max_question_tokens": cfg.max_question_tokens,
                   "max_lm_tokens": max_lm_tokens},
        "prompt": {"template": TEMPLATE, "context": CONTEXT, "passage_separator": PASSAGE_SEPARATOR, "question_turn": QUESTION_TURN,
                   "answer_suffix": ANSWER_SUFFIX, "stop_tokens": STOP_TOKENS, "stop_token_ids": stop_ids},
        "memory": memory,
        "models": models,
        "lm_graph": lm_graph,
        "tokenizers": {"lm": "tokenizers/lm/tokenizer.json", "encoder": "tokenizers/encoder/tokenizer.json"},
        "encoder": {"pooling": "mean", "normalized": True, "lowercase": True},
        "parity": {"max_abs_diff": parity, "tolerance": TOLERANCE, "fixtures": "parity.json"},
        "base_model": bm.lm_provenance,
        "encoder_model": bm.encoder_provenance,
        "files": {str(p.relative_to(tmp)): {"sha256": sha256_file(p), "bytes": p.stat().st_size} for p in files},
    }
    manifest["bundle_id"] = bundle_id(manifest)
    (tmp / "manifest.json").write_text(json.dumps(manifest, indent=2))
    shutil.rmtree(out, ignore_errors=True)
    tmp.replace(out)  # the bundle appears whole or not at all
    print(f"bundle {manifest['bundle_id']} -> {out}  parity max|diff| " +
          ", ".join(f"{k} {v:.1e}" for k, v in parity.items()))
    return manifest


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--preset", choices=("default", "tiny"), default="default")
    ap.add_argument("--out", required=True, type=Path)
    ap.add_argument("--name", help="the bundle's name (default: the preset's)")
    ap.add_argument("--memory-encoder", type=Path, help="trained memory-encoder adapters (mac/train.py)")
    args = ap.parse_args()
    export_bundle(args.out, preset(args.preset), args.name or args.preset, args.memory_encoder)


if __name__ == "__main__":
    main()
