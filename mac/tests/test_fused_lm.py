"""The fused decoder against the PyTorch LM it was written from (tiny random Llama), in every call shape
the runtime uses: prompt after a prefix, one decode step on the presents, and a prompt with no past."""
import numpy as np
import onnx
import onnxruntime as ort
import pytest
import torch

from mac.build import load_base_models
from mac.config import preset
from mac.fused_lm import build_fused_decoder, fused_supported
from mac.generate import prefix_cache

TOL = 1e-4


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    c = preset("tiny")
    lm = load_base_models(c).lm.float().eval()
    assert fused_supported(lm)
    path = tmp_path_factory.mktemp("fused") / "lm.onnx"
    onnx.save(build_fused_decoder(lm, 256), str(path))
    return c, lm, ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])


def feeds(c, ids, past_k, past_v, start):
    """One call in the runtime's layout: positions continue after `start` cached positions."""
    n = ids.shape[1]
    f = {"input_ids": ids.numpy(), "attention_mask": np.ones((1, start + n), np.int64),
         "position_ids": np.arange(start, start + n)[None]}
    for i in range(c.lm_layers):
        f[f"past_key_values.{i}.key"], f[f"past_key_values.{i}.value"] = past_k[i], past_v[i]
    return f


def test_prefix_then_decode_step_matches_pytorch(setup):
    c, lm, session = setup
    L, H, D, P = c.lm_layers, c.lm_kv_heads, c.lm_head_dim, 2
    torch.manual_seed(0)
    pk, pv = torch.randn(1, L, H, P, D), torch.randn(1, L, H, P, D)
    ids = torch.randint(0, 1000, (1, 7))
    got = session.run(None, feeds(c, ids, pk[0, :, None].numpy(), pv[0, :, None].numpy(), P))
    with torch.no_grad():
        want = lm(input_ids=ids, attention_mask=torch.ones(1, P + 7, dtype=torch.long),
                  position_ids=torch.arange(P, P + 7)[None], past_key_values=prefix_cache(pk, pv), use_cache=True)
    assert np.abs(got[0] - want.logits.numpy()).max() < TOL
    assert got[1].shape == (1, H, P + 7, D), "present = prefix + prompt"

    step = torch.tensor([[5]])
    got2 = session.run(None, feeds(c, step, got[1::2], got[2::2], P + 7))
    with torch.no_grad():
        want2 = lm(input_ids=step, attention_mask=torch.ones(1, P + 8, dtype=torch.long),
                   position_ids=torch.tensor([[P + 7]]), past_key_values=want.past_key_values, use_cache=True)
    assert np.abs(got2[0] - want2.logits.numpy()).max() < TOL


def test_empty_past_matches_pytorch(setup):
    c, lm, session = setup
    ids = torch.randint(0, 1000, (1, 9))
    empty = [np.zeros((1, c.lm_kv_heads, 0, c.lm_head_dim), np.float32)] * c.lm_layers
    got = session.run(None, feeds(c, ids, empty, empty, 0))
    with torch.no_grad():
        want = lm(input_ids=ids, use_cache=False).logits.numpy()
    assert np.abs(got[0] - want).max() < TOL


def test_fused_graph_is_small(setup):
    c, lm, _ = setup
    nodes = len(build_fused_decoder(lm, 256).graph.node)
    # A handful of preamble nodes, 11 per layer, 2 at the end: no per-layer shape arithmetic.
    assert nodes <= 10 + 11 * c.lm_layers + 2, nodes


def test_rtn_quantized_head_is_8_bit_and_layers_4_bit(setup):
    from mac.quantize import quantize_lm

    c, lm, _ = setup
    q = quantize_lm(build_fused_decoder(lm, 256), method="rtn")
    bits = {n.output[0]: next(a.i for a in n.attribute if a.name == "bits") for n in q.graph.node if n.op_type == "MatMulNBits"}
    assert not [n for n in q.graph.node if n.op_type == "MatMul"], "every weight MatMul is quantized"
    assert bits.pop("logits") == 8
    assert set(bits.values()) == {4} and len(bits) == 4 * c.lm_layers


def ggml_round_trip(w: torch.Tensor, kind: str) -> torch.Tensor:
    """What a GGUF holds after dequantization: llama.cpp's reference Q4_1 / Q8_0 along the input dimension."""
    b = w.reshape(w.shape[0], -1, 32).double()
    if kind == "q8_0":
        d = (b.abs().amax(-1, keepdim=True) / 127).half().double()
        return (torch.round(b / d.clamp_min(1e-30)) * d).reshape(w.shape).float()
    lo, hi = b.amin(-1, keepdim=True), b.amax(-1, keepdim=True)
    d = (hi - lo) / 15
    q = torch.clamp(torch.floor((b - lo) / d + 0.5), 0, 15)
    return (q * d.half().double() + lo.half().double()).reshape(w.shape).float()


@pytest.fixture(scope="module")
def gguf_like(setup):
    """The tiny LM with its weights on GGUF grids (Q4_1 layers, Q8_0 tied embedding), as fp32 ONNX."""
    c, lm, _ = setup
    import copy
    lm = copy.deepcopy(lm)
    with torch.no_grad():
        for name, p in lm.named_parameters():
            if p.ndim == 2:
                p.copy_(ggml_round_trip(p, "q8_0" if "embed" in name else "q4_1"))
    return c, build_fused_decoder(lm, 256)


@pytest.mark.parametrize("accuracy_level, tol", [(1, 1e-4), (4, 0.1)])
def test_gguf_grid_reproduces_the_dequantized_weights(gguf_like, accuracy_level, tol):
    from mac.quantize import quantize_lm

    c, fp32 = gguf_like
    q = quantize_lm(onnx.ModelProto.FromString(fp32.SerializeToString()), method="grid", accuracy_level=accuracy_level)
    bits = sorted(next(a.i for a in n.attribute if a.name == "bits") for n in q.graph.node if n.op_type == "MatMulNBits")
    assert bits == [4] * (4 * c.lm_layers) + [8], "every layer on the Q4_1 grid, the head on Q8_0"
    sessions = [ort.InferenceSession(m.SerializeToString(), providers=["CPUExecutionProvider"]) for m in (fp32, q)]
    ids = torch.randint(0, 1000, (1, 11))
    empty = [np.zeros((1, c.lm_kv_heads, 0, c.lm_head_dim), np.float32)] * c.lm_layers
    want, got = (s.run(["logits"], feeds(c, ids, empty, empty, 0))[0] for s in sessions)
    # fp32 activations (level 1): the same weights, so the same logits; int8 activations (level 4): close.
    assert np.abs(got - want).max() < tol * max(1.0, np.abs(want).max())


def test_gguf_grid_refuses_weights_off_the_grid():
    from mac.gguf_grid import q4_1_grid, q8_0_grid

    w = torch.randn(64, 48)
    on = ggml_round_trip(w.T.contiguous(), "q4_1").T.numpy()   # MatMul layout [K, N], blocks along K
    q, d, m = q4_1_grid(on)
    assert np.array_equal(q * d[..., None] + m[..., None], on.T.reshape(48, 2, 32))
    assert q4_1_grid(w.numpy()) is None and q8_0_grid(w.numpy()) is None
    assert q8_0_grid(ggml_round_trip(w.T.contiguous(), "q8_0").T.numpy()) is not None
