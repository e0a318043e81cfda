"""The memory encoder's pass in six forms, written for `bench/memory-encoder-precision.ts` to time and compare.

- `q4`: the bundle's own graph (bundles/default/memory_encoder.onnx): the LM's weights on the GGUF's 4-bit
  grid in MatMulNBits, activations quantized to int8 in blocks of 32 (accuracy_level 4);
- `q4-acc0`: the same 4-bit weights computed in float (accuracy_level 0): no activation quantization;
- `fp32`: the same trained encoder exported unquantized (mac/export.py), float weights and compute;
- `int8`: that fp32 graph through onnxruntime's quantize_dynamic: int8 weights per channel, activations
  quantized to uint8 per tensor at run time (MatMulInteger), the form whose GEMM has AMX kernels;
- `q4-merged`, `q4-acc0-merged` (46th session): `q4` and `q4-acc0` with each linear's two low-rank terms,
  the grid's block-minimum correction (x·E·M, mac/gguf_grid.py) and the LoRA update (x·A·B), computed as one
  (x·[E A]·[M; B]): the same sum, half the small MatMuls and Adds.

    scripts/python.sh -m mac.experiments.memory_encoder_precision && node --import tsx bench/memory-encoder-precision.ts
"""
import argparse
from pathlib import Path

import numpy as np
import onnx
from onnx import helper, numpy_helper
from onnxruntime.quantization import QuantType, quantize_dynamic

from ..config import preset
from ..export import export_bundle
from ..quantize import quantize_memory_encoder


def merge_low_rank(model: onnx.ModelProto) -> onnx.ModelProto:
    """Each `{p}.base.x_sums -> .base.offset -> .base.add` and `{p}.lora.xa -> .lora.delta -> {p}` pair of a
    4-bit memory encoder as one: x·[E A] then ·[M; B], added once to the MatMulNBits output."""
    graph = model.graph
    inits = {i.name: i for i in graph.initializer}
    nodes = {n.name: n for n in graph.node}
    replace, drop, used, added = {}, set(), set(), []
    for n in graph.node:
        if n.op_type != "MatMulNBits" or not n.name.endswith(".base.nbits"):
            continue
        p = n.name[: -len(".base.nbits")]
        sums, offset, add = nodes[f"{p}.base.x_sums"], nodes[f"{p}.base.offset"], nodes[f"{p}.base.add"]
        xa, delta, out = nodes[f"{p}.lora.xa"], nodes[f"{p}.lora.delta"], nodes[p]
        w = {k: numpy_helper.to_array(inits[m.input[1]]) for k, m in (("E", sums), ("M", offset), ("A", xa), ("B", delta))}
        added += [numpy_helper.from_array(np.concatenate([w["E"], w["A"]], 1), f"{p}.low.in"),
                  numpy_helper.from_array(np.concatenate([w["M"], w["B"]], 0), f"{p}.low.out")]
        used |= {sums.input[1], offset.input[1], xa.input[1], delta.input[1]}
        replace[sums.name] = [helper.make_node("MatMul", [n.input[0], f"{p}.low.in"], [f"{p}.low.h"], name=f"{p}.low.h"),
                              helper.make_node("MatMul", [f"{p}.low.h", f"{p}.low.out"], [f"{p}.low.delta"], name=f"{p}.low.delta"),
                              helper.make_node("Add", [n.output[0], f"{p}.low.delta"], [out.output[0]], name=p)]
        drop |= {offset.name, add.name, xa.name, delta.name, out.name}
    kept = [m for n in graph.node for m in replace.get(n.name, [n] if n.name not in drop else [])]
    initializers = [i for i in graph.initializer if i.name not in used] + added
    del graph.node[:], graph.initializer[:]
    graph.node.extend(kept)
    graph.initializer.extend(initializers)
    return model


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--memory-encoder", type=Path, default=Path("weights/memory-encoder-words-64.pt"))
    ap.add_argument("--out", type=Path, default=Path("runs/memory-encoder-precision"))
    args = ap.parse_args()
    export_bundle(args.out / "fp32", preset("default"), name="mac-smollm2-135m", memory_encoder=args.memory_encoder)
    quantize_dynamic(str(args.out / "fp32" / "memory_encoder.onnx"), str(args.out / "memory_encoder-int8.onnx"),
                     weight_type=QuantType.QInt8, per_channel=True, op_types_to_quantize=["MatMul"],
                     extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT})
    acc0 = quantize_memory_encoder(onnx.load(str(args.out / "fp32" / "memory_encoder.onnx")), accuracy_level=0)
    onnx.save(acc0, str(args.out / "memory_encoder-q4-acc0.onnx"))
    onnx.save(merge_low_rank(acc0), str(args.out / "memory_encoder-q4-acc0-merged.onnx"))
    q4 = quantize_memory_encoder(onnx.load(str(args.out / "fp32" / "memory_encoder.onnx")))
    onnx.save(merge_low_rank(q4), str(args.out / "memory_encoder-q4-merged.onnx"))
    print(f"wrote {args.out}/fp32/memory_encoder.onnx and {args.out}/memory_encoder-{{int8,q4-acc0,q4-acc0-merged,q4-merged}}.onnx")


if __name__ == "__main__":
    main()
