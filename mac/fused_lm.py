"""Writes a Llama-family LM as a fused ONNX decoder: the same contract as the traced one, ~30x fewer nodes.

The traced decoder (export.py) is correct but runs ~240 small nodes per layer (shape arithmetic,
unfused RMSNorm and rotary embeddings); at one token per step that overhead, not arithmetic, bounds
decode speed. This graph is written op by op with ONNX Runtime's fused kernels:

    x = Gather(embed, input_ids)
    per layer:  h, x = SkipSimplifiedLayerNorm(mlp_out, x)      (layer 0: SimplifiedLayerNorm)
                qkv = MatMul(h, Wqkv)
                a, present_k, present_v = GroupQueryAttention(qkv, past_k, past_v, rotary inside)
                h, x = SkipSimplifiedLayerNorm(MatMul(a, Wo), x)
                mlp_out = MatMul(silu(MatMul(h, Wg)) * MatMul(h, Wu), Wd)   (gate and up as one MatMul)
    logits = MatMul(SkipSimplifiedLayerNorm(mlp_out, x), embed^T)

Inputs and outputs keep the Optimum layout, so the service runs either graph unchanged. Positions
come from the attention mask inside GroupQueryAttention (the past length + i): the prefix occupies
positions 0..P-1 and the prompt starts at P, exactly what the runtime passes as `position_ids`, which
this graph accepts for layout compatibility and does not read. The MatMuls are plain fp32 here;
quantize.py turns them into 4-bit MatMulNBits.
"""
import numpy as np
import onnx
import torch
from onnx import TensorProto, helper, numpy_helper

MS = "com.microsoft"


def rope_frequencies(cfg) -> tuple[torch.Tensor, float]:
    """The model's rotary inverse frequencies [head_dim / 2] and its attention scaling (1 for plain RoPE)."""
    from transformers.modeling_rope_utils import ROPE_INIT_FUNCTIONS

    rope_type = (getattr(cfg, "rope_scaling", None) or {}).get("rope_type", "default")
    inv_freq, scaling = ROPE_INIT_FUNCTIONS[rope_type](cfg, "cpu")
    return inv_freq.float(), float(scaling)


def _rotary_caches(cfg, head_dim: int, max_positions: int) -> tuple[np.ndarray, np.ndarray]:
    """cos/sin [max_positions, head_dim / 2] with the model's own inverse frequencies (rotate-half layout)."""
    inv_freq, scaling = rope_frequencies(cfg)
    angles = torch.arange(max_positions, dtype=torch.float32)[:, None] * inv_freq.float()[None, :]
    return (angles.cos() * scaling).numpy(), (angles.sin() * scaling).numpy()


def fused_supported(lm) -> bool:
    """Llama-family decoders (SmolLM2 among them); anything else keeps the traced graph."""
    cfg = lm.config
    return (cfg.model_type == "llama" and getattr(cfg, "hidden_act", "silu") == "silu"
            and not getattr(cfg, "attention_bias", False) and not getattr(cfg, "mlp_bias", False))


def _lora_pair(lora: dict, p: str, names: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """The LoRA updates of linears sharing one input, as one pair: x @ A [in, sum r] @ B [sum r, sum out]."""
    As = [lora[f"{p}.{n}.A"].float() for n in names]                     # [r, in]
    Bs = [lora[f"{p}.{n}.B"].float() for n in names]                     # [out, r]
    A = torch.cat(As, 0).T
    B = torch.block_diag(*[b.T for b in Bs])                             # each update reads only its own rank
    return A.numpy(), B.numpy()


def _prune(nodes: list, inits: list, outputs: list[str]) -> tuple[list, list]:
    """Drops the nodes (and initializers) no output depends on."""
    needed, kept = set(outputs), []
    for node in reversed(nodes):
        if any(o in needed for o in node.output if o):
            kept.append(node)
            needed |= {i for i in node.input if i}
    return kept[::-1], [i for i in inits if i.name in needed]


def build_fused_decoder(lm, max_positions: int, lora: dict | None = None, lora_scale: float = 1.0,
                        logits: bool = True) -> onnx.ModelProto:
    """lm: a transformers LlamaForCausalLM (or a model with the same module names), fp32, eval mode.

    lora: the memory encoder's adapters (mac/train.py: `layers.{i}.self_attn.q_proj.A` [r, in] and `.B`
    [out, r]), added beside each weight MatMul as x·A·B·scale, the weights themselves left as they are (so the
    4-bit grid stays exact). logits=False: a graph that only reads (presents out, no LM head), as the memory
    encoder needs."""
    cfg = lm.config
    L, H, Hkv = cfg.num_hidden_layers, cfg.num_attention_heads, cfg.num_key_value_heads
    D = getattr(cfg, "head_dim", None) or cfg.hidden_size // H
    V, eps = cfg.vocab_size, float(cfg.rms_norm_eps)
    assert fused_supported(lm), f"fused decoder: {cfg.model_type} with these options is not supported; use the traced one"
    inits: list[TensorProto] = []
    nodes: list[onnx.NodeProto] = []

    def init(name: str, array) -> str:
        array = array.detach().float().numpy() if isinstance(array, torch.Tensor) else array
        inits.append(numpy_helper.from_array(np.ascontiguousarray(array), name))
        return name

    def node(op: str, inputs: list[str], outputs: list[str], domain: str = "", **attrs) -> list[str]:
        nodes.append(helper.make_node(op, inputs, outputs, name=outputs[0] or f"{op}_{len(nodes)}", domain=domain, **attrs))
        return outputs

    def matmul(x: str, weight, out: str, p: str, names: list[str]):
        """out = x @ weight, plus the LoRA update of these linears when adapters are given."""
        name = f"{out}.base" if lora else out
        node("MatMul", [x, init(f"{out}.weight", weight)], [name])
        if lora:
            A, B = _lora_pair(lora, p, names)
            node("MatMul", [x, init(f"{out}.lora.A", A)], [f"{out}.lora.xa"])
            node("MatMul", [f"{out}.lora.xa", init(f"{out}.lora.B", B * lora_scale)], [f"{out}.lora.delta"])
            node("Add", [name, f"{out}.lora.delta"], [out])

    model = lm.model
    # GroupQueryAttention reads the past length from seqlens_k (tokens kept - 1) and the total length.
    node("ReduceSum", ["attention_mask", init("axes_1", np.array([1], np.int64))], ["mask_sum"], keepdims=0)
    node("Sub", ["mask_sum", init("one_i64", np.array(1, np.int64))], ["mask_sum_minus_1"])
    node("Cast", ["mask_sum_minus_1"], ["seqlens_k"], to=TensorProto.INT32)
    node("Shape", ["attention_mask"], ["mask_shape"])
    node("Gather", ["mask_shape", init("index_1", np.array(1, np.int64))], ["total_i64"], axis=0)
    node("Cast", ["total_i64"], ["total_sequence_length"], to=TensorProto.INT32)
    cos, sin = _rotary_caches(cfg, D, max_positions)
    init("cos_cache", cos)
    init("sin_cache", sin)
    embed = model.embed_tokens.weight
    node("Gather", [init("embed_tokens", embed), "input_ids"], ["embeddings"], axis=0)

    residual, pending = "embeddings", None   # pending: the last block's output, not yet added to the residual
    for i, layer in enumerate(model.layers):
        p = f"layers.{i}"
        attn, mlp = layer.self_attn, layer.mlp
        gamma = init(f"{p}.input_norm", layer.input_layernorm.weight)
        if pending is None:
            node("SimplifiedLayerNormalization", [residual, gamma], [f"{p}.h1"], axis=-1, epsilon=eps)
        else:
            node("SkipSimplifiedLayerNormalization", [pending, residual, gamma], [f"{p}.h1", "", "", f"{p}.x1"],
                 domain=MS, epsilon=eps)
            residual = f"{p}.x1"
        wqkv = torch.cat([attn.q_proj.weight, attn.k_proj.weight, attn.v_proj.weight], 0).T  # [hidden, (H+2Hkv)D]
        matmul(f"{p}.h1", wqkv, f"{p}.qkv", p, ["self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj"])
        node("GroupQueryAttention",
             [f"{p}.qkv", "", "", f"past_key_values.{i}.key", f"past_key_values.{i}.value", "seqlens_k",
              "total_sequence_length", "cos_cache", "sin_cache"],
             [f"{p}.attn", f"present.{i}.key", f"present.{i}.value"], domain=MS,
             num_heads=H, kv_num_heads=Hkv, scale=float(attn.scaling), do_rotary=1, rotary_interleaved=0,
             local_window_size=-1)
        matmul(f"{p}.attn", attn.o_proj.weight.T, f"{p}.attn_out", p, ["self_attn.o_proj"])
        node("SkipSimplifiedLayerNormalization",
             [f"{p}.attn_out", residual, init(f"{p}.post_norm", layer.post_attention_layernorm.weight)],
             [f"{p}.h2", "", "", f"{p}.x2"], domain=MS, epsilon=eps)
        residual = f"{p}.x2"
        I = mlp.gate_proj.weight.shape[0]
        matmul(f"{p}.h2", torch.cat([mlp.gate_proj.weight, mlp.up_proj.weight], 0).T, f"{p}.gate_up", p,
               ["mlp.gate_proj", "mlp.up_proj"])
        node("Split", [f"{p}.gate_up", init(f"{p}.split", np.array([I, I], np.int64))], [f"{p}.gate", f"{p}.up"], axis=-1)
        node("Sigmoid", [f"{p}.gate"], [f"{p}.gate_sigmoid"])
        node("Mul", [f"{p}.gate", f"{p}.gate_sigmoid"], [f"{p}.gate_silu"])
        node("Mul", [f"{p}.gate_silu", f"{p}.up"], [f"{p}.act"])
        matmul(f"{p}.act", mlp.down_proj.weight.T, f"{p}.mlp_out", p, ["mlp.down_proj"])
        pending = f"{p}.mlp_out"

    if logits:
        node("SkipSimplifiedLayerNormalization", [pending, residual, init("final_norm", model.norm.weight)],
             ["final_hidden"], domain=MS, epsilon=eps)
        node("MatMul", ["final_hidden", init("lm_head.weight", lm.lm_head.weight.T)], ["logits"])

    past = lambda name: helper.make_tensor_value_info(name, TensorProto.FLOAT, ["batch", Hkv, "past", D])
    present = lambda name: helper.make_tensor_value_info(name, TensorProto.FLOAT, ["batch", Hkv, "total", D])
    inputs = [helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch", "sequence"]),
              helper.make_tensor_value_info("attention_mask", TensorProto.INT64, ["batch", "total"]),
              helper.make_tensor_value_info("position_ids", TensorProto.INT64, ["batch", "sequence"])]
    inputs += [past(f"past_key_values.{i}.{kv}") for i in range(L) for kv in ("key", "value")]
    outputs = [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch", "sequence", V])] if logits else []
    outputs += [present(f"present.{i}.{kv}") for i in range(L) for kv in ("key", "value")]
    nodes, inits = _prune(nodes, inits, [o.name for o in outputs])
    graph = helper.make_graph(nodes, "fused_decoder", inputs, outputs, inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid(MS, 1)],
                             producer_name="mac.fused_lm", ir_version=8)
