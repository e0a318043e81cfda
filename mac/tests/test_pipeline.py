import json
import shutil

import numpy as np
import pytest

from mac.pipeline import CODECS, OnnxBundle, dequantize_int8, quantize_int8
from mac.prompt import build_prompt


@pytest.fixture(scope="module")
def fixtures(tiny_path):
    return json.loads((tiny_path / "parity.json").read_text())


@pytest.fixture(scope="module")
def encoded(tiny_bundle, fixtures):
    """The fixture passages and question through the ONNX encoder and amortizer."""
    states, mask, emb = tiny_bundle.encode(fixtures["passages"])
    q_states, q_mask, q_emb = tiny_bundle.encode([fixtures["question"]], tiny_bundle.max_question_tokens)
    return {"states": states, "mask": mask, "emb": emb, "mod": tiny_bundle.amortize(states, mask),
            "q_states": q_states, "q_mask": q_mask, "q_emb": q_emb}


def close(got, want, tol=1e-4):
    diff = float(np.abs(np.asarray(got) - np.asarray(want, dtype=np.float32)).max())
    assert diff <= tol, f"max |diff| {diff:.2e} > {tol:.0e}"


def test_shapes(tiny_bundle, encoded):
    d = tiny_bundle.manifest["dims"]
    B, n, E = encoded["states"].shape
    assert (B, E) == (2, d["encoder_dim"]) and encoded["mask"].shape == (2, n)
    np.testing.assert_allclose(np.linalg.norm(encoded["emb"], axis=-1), 1.0, atol=1e-5)
    assert encoded["mod"].shape == (2, d["mem_tokens"], d["mod_dim"])
    assert np.abs(encoded["mod"]).max() <= 1.0, "modulations are tanh-bounded"
    prefix_k, prefix_v, weights = tiny_bundle.aggregate(encoded["q_states"], encoded["q_mask"], encoded["mod"])
    want = (d["lm_layers"], 1, d["lm_kv_heads"], d["prefix_len"], d["lm_head_dim"])
    assert prefix_k.shape == want and prefix_v.shape == want and weights.shape == (2,)


def test_parity_with_pytorch_fixtures(tiny_bundle, fixtures, encoded):
    close(encoded["emb"], fixtures["passage_embedding"])
    close(encoded["q_emb"], fixtures["question_embedding"])
    close(encoded["mod"], fixtures["modulation"])
    memories = encoded["mod"][None]
    fused, weights, prefix = tiny_bundle.aggregate_level(encoded["q_states"], encoded["q_mask"], memories,
                                                         np.ones((1, 2), np.int64))
    close(fused, fixtures["fused"])
    close(weights, fixtures["memory_weights"])
    close(prefix[0][0, 0, 0, :8], fixtures["prefix_0_key_first"])
    prefix_k, prefix_v, top_weights = tiny_bundle.aggregate(encoded["q_states"], encoded["q_mask"], encoded["mod"])
    close(top_weights, fixtures["memory_weights"][0])
    prompt = build_prompt(fixtures["question"])
    assert tiny_bundle.lm_tokenizer.encode(prompt, add_special_tokens=False).ids == fixtures["prompt_ids"]
    # the prefill alone, as the service's first LM call: prompt positions start after the P prefix slots
    n, P = len(fixtures["prompt_ids"]), prefix_k.shape[3]
    feeds = {"input_ids": np.array([fixtures["prompt_ids"]]), "attention_mask": np.ones((1, P + n), np.int64),
             "position_ids": np.arange(P, P + n)[None]}
    for i in range(len(prefix_k)):
        feeds[f"past_key_values.{i}.key"], feeds[f"past_key_values.{i}.value"] = prefix_k[i], prefix_v[i]
    logits = tiny_bundle.sessions["lm"].run(["logits"], feeds)[0]
    close(logits[0, -1, :8], fixtures["last_logits_first"], tol=1e-3)
    generation = tiny_bundle.generate(prompt, (prefix_k, prefix_v), max_new_tokens=len(fixtures["greedy_tokens"]))
    assert generation.token_ids == fixtures["greedy_tokens"]
    assert generation.prompt_token_count == len(fixtures["prompt_ids"])


def test_hierarchical_aggregation(tiny_bundle, encoded):
    window = tiny_bundle.window
    memories = np.random.default_rng(0).uniform(-1, 1, (3 * window + 1, *encoded["mod"].shape[1:])).astype(np.float32)
    prefix_k, _, weights = tiny_bundle.aggregate(encoded["q_states"], encoded["q_mask"], memories)
    assert prefix_k.shape[1] == 1 and weights.shape == (len(memories),)
    assert abs(float(weights.sum()) - 1.0) < 1e-5, "per-passage weights multiply down the levels"


def test_hierarchical_aggregation_matches_pytorch(tiny_path, tiny_bundle, encoded):
    torch = pytest.importorskip("torch")
    from mac.base_models import sha256_file
    from mac.export import load_checkpoint
    from mac.model import MacNetworks
    checkpoint = tiny_path.parents[1] / "runs" / "tiny" / "best.pt"
    if not checkpoint.exists() or sha256_file(checkpoint) != tiny_bundle.manifest["training"]["checkpoint_sha256"]:
        pytest.skip(f"{checkpoint} is missing or is not the checkpoint bundles/tiny was exported from")
    cfg, ck = load_checkpoint(checkpoint)
    net = MacNetworks(cfg.mac)
    net.load_state_dict({k: v.float() for k, v in ck["model"].items()})
    net.eval()
    memories = np.random.default_rng(1).uniform(-1, 1, (2 * tiny_bundle.window + 3, *encoded["mod"].shape[1:]))
    memories = memories.astype(np.float32)
    prefix_k, prefix_v, _ = tiny_bundle.aggregate(encoded["q_states"], encoded["q_mask"], memories)
    with torch.no_grad():
        fused = net.aggregate(torch.from_numpy(encoded["q_states"]), torch.from_numpy(encoded["q_mask"]),
                              torch.from_numpy(memories)[None], torch.ones(1, len(memories), dtype=torch.long))
        want_k, want_v = net.expander(fused)                          # [1, L, H, P, D]
    close(prefix_k[:, 0], want_k[0].numpy())
    close(prefix_v[:, 0], want_v[0].numpy())


def test_generation_respects_max_new_tokens_and_stops(tiny_bundle, monkeypatch):
    prompt = build_prompt("Who wrote Hamlet?")
    generation = tiny_bundle.generate(prompt, None, max_new_tokens=3)
    assert 0 < len(generation.token_ids) <= 3 and generation.seconds_to_first_token > 0
    # the random tiny LM never emits a real stop token; make its first pick one
    monkeypatch.setattr(tiny_bundle, "stop_ids", {generation.token_ids[0]})
    stopped = tiny_bundle.generate(prompt, None, max_new_tokens=3)
    assert stopped.token_ids == [] and stopped.text == ""


@pytest.mark.parametrize("codec", sorted(CODECS))
def test_codec_round_trip(codec):
    modulation = np.tanh(np.random.default_rng(2).normal(size=(16, 128)) * 3).astype(np.float32)
    encode, decode = CODECS[codec]
    stored = encode(modulation)
    assert stored.nbytes == modulation.size * {"int8": 1, "fp16": 2, "fp32": 4}[codec]
    assert np.abs(decode(stored) - modulation).max() <= 1 / 254 + 1e-7


def test_int8_keeps_the_bounds():
    assert quantize_int8(np.array([-1.0, 0.0, 1.0])).tolist() == [-127, 0, 127]
    assert dequantize_int8(np.array([127], np.int8)).tolist() == [1.0]


def test_stale_bundle_is_refused(tiny_path, tmp_path):
    stale = tmp_path / "stale"
    stale.mkdir()
    for item in tiny_path.iterdir():
        if item.name != "manifest.json":
            (stale / item.name).symlink_to(item)
    manifest = json.loads((tiny_path / "manifest.json").read_text())
    manifest["models"]["amortizer"]["inputs"][0]["name"] = "renamed"
    (stale / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(AssertionError, match="npm run setup"):
        OnnxBundle(stale)
    manifest["format_version"] = 2
    (stale / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(AssertionError, match="npm run setup"):
        OnnxBundle(stale)
