"""The memory encoder's pass in three precisions, written for `bench/memory-encoder-precision.ts` to time and compare.

- `q4`: the bundle's own graph (bundles/default/memory_encoder.onnx): the LM's weights on the GGUF's 4-bit
  grid in MatMulNBits, activations quantized to int8 in blocks of 32 (accuracy_level 4);
- `q4-acc0`: the same 4-bit weights computed in float (accuracy_level 0): no activation quantization;
- `fp32`: the same trained encoder exported unquantized (mac/export.py), float weights and compute;
- `int8`: that fp32 graph through onnxruntime's quantize_dynamic: int8 weights per channel, activations
  quantized to uint8 per tensor at run time (MatMulInteger), the form whose GEMM has AMX kernels.

    scripts/python.sh -m mac.experiments.memory_encoder_precision && node --import tsx bench/memory-encoder-precision.ts
"""
import argparse
from pathlib import Path

import onnx
from onnxruntime.quantization import QuantType, quantize_dynamic

from ..config import preset
from ..export import export_bundle
from ..quantize import quantize_memory_encoder


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
    print(f"wrote {args.out}/fp32/memory_encoder.onnx, {args.out}/memory_encoder-int8.onnx and {args.out}/memory_encoder-q4-acc0.onnx")


if __name__ == "__main__":
    main()
