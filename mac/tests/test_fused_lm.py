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
from mac.prefix_lm import prefix_cache

TOL = 1e-4


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    c = preset("tiny").mac
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


def test_quantized_head_is_8_bit_and_layers_4_bit(setup):
    from mac.quantize import quantize_lm

    c, lm, _ = setup
    q = quantize_lm(build_fused_decoder(lm, 256))
    bits = {n.output[0]: next(a.i for a in n.attribute if a.name == "bits") for n in q.graph.node if n.op_type == "MatMulNBits"}
    assert not [n for n in q.graph.node if n.op_type == "MatMul"], "every weight MatMul is quantized"
    assert bits.pop("logits") == 8
    assert set(bits.values()) == {4} and len(bits) == 4 * c.lm_layers
