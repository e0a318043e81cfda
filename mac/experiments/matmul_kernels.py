"""One LM-sized matrix product in five ONNX forms, written for `bench/matmul-kernels.ts` to time in onnxruntime-node.

SmolLM2-135M's MLP input projection (576 -> 1536) at a prefill's 259 rows and at a decode step's 1 row, as
- `fp32`: MatMul on float weights;
- `int8`: DynamicQuantizeMatMul (the activations quantized to 8 bits per call, int8 weights per tensor);
- `q4-acc0` / `q4-acc4`: MatMulNBits, 4-bit blocks of 32 as the LM's graph stores them, computed in float
  (accuracy_level 0) or in int8 (accuracy_level 4, what the bundle's LM uses);
- `q4-zpf`: MatMulNBits at accuracy_level 4 with float zero points (46th session), the one form that could
  hold the GGUF's block minima exactly without the LM graph's correction MatMuls (mac/gguf_grid.py).
The weights are random: the forms' speed, not their answers.

    scripts/python.sh -m mac.experiments.matmul_kernels && node --import tsx bench/matmul-kernels.ts
"""
import argparse
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

K, N, BLOCK = 576, 1536, 32
FORMS = ["fp32", "int8", "q4-acc0", "q4-acc4", "q4-zpf"]


def graph(rows: int, form: str, rng: np.random.Generator) -> onnx.ModelProto:
    t = numpy_helper.from_array
    if form == "fp32":
        node, inits = helper.make_node("MatMul", ["x", "w"], ["y"]), [t(rng.standard_normal((K, N)).astype(np.float32), "w")]
    elif form == "int8":
        node = helper.make_node("DynamicQuantizeMatMul", ["x", "w", "s", "z"], ["y"], domain="com.microsoft")
        inits = [t(rng.integers(-127, 127, (K, N)).astype(np.int8), "w"), t(np.array([0.01], np.float32), "s"), t(np.array([0], np.int8), "z")]
    else:
        blocks = K // BLOCK
        node = helper.make_node("MatMulNBits", ["x", "w", "s", "z"], ["y"], domain="com.microsoft", K=K, N=N, bits=4, block_size=BLOCK,
                                accuracy_level=0 if form == "q4-acc0" else 4)
        zero_points = ((rng.random(N * blocks) * 15).astype(np.float32) if form == "q4-zpf"
                       else rng.integers(0, 255, (N * ((blocks + 1) // 2),)).astype(np.uint8))
        inits = [t(rng.integers(0, 255, (N, blocks, BLOCK // 2)).astype(np.uint8), "w"), t((rng.random(N * blocks) * 0.01).astype(np.float32), "s"),
                 t(zero_points, "z")]
    g = helper.make_graph([node], form, [helper.make_tensor_value_info("x", TensorProto.FLOAT, [rows, K])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, [rows, N])], inits)
    model = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid("com.microsoft", 1)])
    model.ir_version = 9
    return model


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default="runs/matmul-kernels")
    a = ap.parse_args()
    Path(a.out).mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    for rows in (1, 259):
        for form in FORMS:
            onnx.save(graph(rows, form, rng), f"{a.out}/{form}-{rows}.onnx")
    print(f"wrote {len(FORMS) * 2} graphs to {a.out}")


if __name__ == "__main__":
    main()
