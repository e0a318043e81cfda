"""The memory encoder's training side: the plain-PyTorch LM against transformers, the slot rule against
its TypeScript twin's cases, exact weight packing, the exported adapter graph against PyTorch, and a
two-step training run on the tiny LM."""
import json

import numpy as np
import onnx
import onnxruntime as ort
import pytest
import torch

from mac.build import CACHE_DIR, load_base_models
from mac.config import preset
from mac.fused_lm import build_fused_decoder
from mac.llama import Llama, LlamaConfig
from mac.lm_pack import pack, unpack
from mac.memory_data import select_slots
from mac.train import MemoryTrainConfig, train

TARGETS = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")


@pytest.fixture(scope="module")
def tiny():
    lm = load_base_models(preset("tiny")).lm.float().eval()
    ours = Llama(LlamaConfig.from_hf(lm.config.to_dict()))
    ours.load_hf(lm.state_dict())
    return lm, ours.eval()


def with_random_lora(model: Llama, seed: int = 0) -> Llama:
    model.add_lora(4, 8.0, TARGETS)
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for block in model.layers:
            for lin in block.linears().values():
                lin.B.copy_(torch.randn(lin.B.shape, generator=g) * 0.05)
    return model


def test_llama_matches_transformers_with_and_without_past(tiny):
    lm, ours = tiny
    ids = torch.randint(0, lm.config.vocab_size, (2, 12), generator=torch.Generator().manual_seed(0))
    pos = torch.arange(12)[None].expand(2, -1)
    with torch.no_grad():
        want = lm(input_ids=ids).logits
        hidden, _ = ours(ids, pos)
        assert (ours.logits(hidden) - want).abs().max() < 1e-4
        _, past = ours(ids[:, :7], pos[:, :7])
        hidden, _ = ours(ids[:, 7:], pos[:, 7:], past=past)
        assert (ours.logits(hidden) - want[:, 7:]).abs().max() < 1e-4


# The cases of encoder/slots.test.ts: both sides must keep the same positions.
TOKENS = ['<s>', 'The', ' tower', ' was', ' built', ' in', ' 18', '89', ' by', ' Gust', 'ave', ' Eiffel', '.']


def test_select_slots_agrees_with_the_typescript_cases():
    assert select_slots(TOKENS, "salient", 6) == [0, 1, 6, 7, 9, 11]
    assert select_slots(TOKENS, "salient", 8) == [0, 1, 6, 7, 9, 10, 11, 12]
    assert select_slots(TOKENS, "salient", 64) == list(range(len(TOKENS)))
    assert select_slots(TOKENS, "words", 8) == [0, 1, 6, 7, 9, 10, 11, 12]
    assert select_slots(TOKENS, "words", 7) == [0, 1, 6, 7, 9, 10, 11]
    assert select_slots(TOKENS, "salient", 4, 2) == [0, 6, 7, 9]
    assert select_slots(TOKENS, "uniform", 3) == [0, 6, 12]


def test_lm_pack_round_trips_grid_weights_exactly(tmp_path):
    g = torch.Generator().manual_seed(0)
    q = torch.randint(0, 16, (8, 64), generator=g).float()                # [out, in], blocks of 32 along in
    d = (torch.rand(8, 2, 1, generator=g) * 0.01 + 1e-3).half().float()
    m = (-torch.rand(8, 2, 1, generator=g) * 0.05).half().float()
    w = (q.view(8, 2, 32) * d + m).view(8, 64)
    state = {"model.layers.0.mlp.up_proj.weight": w, "model.norm.weight": torch.randn(64, generator=g)}
    back = unpack(pack(state, tmp_path, parts=2))
    assert set(back) == set(state)
    for k in state:
        assert torch.equal(back[k], state[k]), k


def test_exported_memory_encoder_matches_pytorch(tiny, tmp_path):
    lm, _ = tiny
    ours = with_random_lora(Llama(LlamaConfig.from_hf(lm.config.to_dict())))
    ours.load_hf(lm.state_dict())
    lora = ours.lora_state()
    path = tmp_path / "memory_encoder.onnx"
    onnx.save(build_fused_decoder(lm, 128, lora=lora, lora_scale=ours.layers[0].q_proj.scale, logits=False), str(path))
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    assert [o.name for o in session.get_outputs()][:2] == ["present.0.key", "present.0.value"]
    c = lm.config
    ids = torch.randint(0, c.vocab_size, (1, 10), generator=torch.Generator().manual_seed(1))
    feeds = {"input_ids": ids.numpy(), "attention_mask": np.ones((1, 10), np.int64), "position_ids": np.arange(10)[None]}
    feeds |= {f"past_key_values.{i}.{kv}": np.zeros((1, c.num_key_value_heads, 0, c.head_dim), np.float32)
              for i in range(c.num_hidden_layers) for kv in ("key", "value")}
    got = session.run(None, feeds)
    with torch.no_grad():
        _, kvs = ours(ids, torch.arange(10)[None], lora=True)
        _, plain = ours(ids, torch.arange(10)[None], lora=False)
    for i in range(c.num_hidden_layers):
        for j in range(2):
            assert np.abs(got[2 * i + j] - kvs[i][j].numpy()).max() < 1e-4
    assert max((kvs[i][1] - plain[i][1]).abs().max().item() for i in range(c.num_hidden_layers)) > 1e-3, "adapters had no effect"


def test_two_training_steps_write_adapters_and_probes(tmp_path):
    from mac.data import squad_dir
    lm_dir = CACHE_DIR / "tiny-lm"
    load_base_models(preset("tiny"))                                  # makes the tiny LM folder if missing
    rows = [json.loads(line) for line in open(squad_dir() / "squad-1.1-train.jsonl")][::100]   # several articles
    data = tmp_path / "squad.jsonl"
    data.write_text("\n".join(json.dumps(r) for r in rows))
    cfg = MemoryTrainConfig(lm_dir=str(lm_dir), train=str(data), probe=str(data), out=str(tmp_path / "run"),
                            slots=8, lora_rank=2, batch=4, max_steps=2, probe_every=1, probe_questions=4,
                            multi_prob=1.0, multi_memories=2, warmup_steps=1, device="cpu", save_dtype="float32")
    train(cfg)
    saved = torch.load(tmp_path / "run.pt", weights_only=True)
    assert saved["config"]["slots"] == 8 and saved["lora"]
    probes = [p for p in saved["probes"] if p.get("event") == "probe"]
    assert [p["step"] for p in probes][:2] == [0, 1] and all(np.isfinite(p["gap1"]) for p in probes)
    moved = max(v.abs().max().item() for k, v in saved["lora"].items() if k.endswith(".B"))
    assert moved > 0, "the adapters never left zero"
