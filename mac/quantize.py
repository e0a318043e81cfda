"""Derives a bundle whose frozen LM has 4-bit weights (ONNX Runtime MatMulNBits), everything else shared.

The decoder layers' MatMuls become 4- or 8-bit blocks of 32 (--layer-bits), the LM head (the MatMul
that writes `logits`) its own precision (--head-bits). Not the default bundle: requantizing the GGUF's
dequantized Q4_1 weights to 4 bits costs 4-5 F1 on long prompts (README, "Quantized LM").

    python -m mac.quantize --bundle bundles/default --out bundles/lm-int4h8 [--layer-bits 4 --head-bits 8]

The decoder is memory-bandwidth bound on a CPU: fp32 weights are 8x the bytes of the 4-bit GGUF that
llama.cpp runs. The manifest keeps the same contract; its files, bundle_id and a `quantization` entry
change. Quality is measured with the evaluation harness (README, "Quantized LM").
"""
import argparse
import json
import shutil
from pathlib import Path

import onnx
from onnxruntime.quantization.matmul_nbits_quantizer import DefaultWeightOnlyQuantConfig, MatMulNBitsQuantizer

from .base_models import sha256_file
from .export import bundle_id

BLOCK_SIZE = 32          # GGUF Q4_1's block: the default LM's weights were 4-bit blocks of 32 to begin with
ACCURACY_LEVEL = 4       # int8 activations inside the MatMul: the fastest CPU kernels


LAYER_BITS, HEAD_BITS = 4, 8


def describe(layer_bits: int = LAYER_BITS, head_bits: int = HEAD_BITS, block_size: int = BLOCK_SIZE,
             accuracy_level: int = ACCURACY_LEVEL) -> str:
    return (f"MatMulNBits {layer_bits}-bit (LM head {head_bits}-bit), block {block_size}, asymmetric, "
            f"accuracy_level {accuracy_level}")


def _quantize(model: onnx.ModelProto, bits: int, exclude: list[str], block_size: int, accuracy_level: int):
    config = DefaultWeightOnlyQuantConfig(block_size=block_size, is_symmetric=False,
                                          accuracy_level=accuracy_level, bits=bits)
    quantizer = MatMulNBitsQuantizer(model, block_size=block_size, is_symmetric=False, accuracy_level=accuracy_level,
                                     nodes_to_exclude=exclude, algo_config=config)
    quantizer.process()
    return quantizer.model.model


def quantize_lm(model: onnx.ModelProto, layer_bits: int = LAYER_BITS, head_bits: int = HEAD_BITS,
                block_size: int = BLOCK_SIZE, accuracy_level: int = ACCURACY_LEVEL):
    """Every MatMul with constant weights to MatMulNBits: the head to head_bits, the rest to layer_bits."""
    matmuls = [n for n in model.graph.node if n.op_type == "MatMul"]
    head = [n.name for n in matmuls if "logits" in n.output]
    assert len(head) == 1, f"expected one MatMul writing logits, found {head}"
    model = _quantize(model, head_bits, [n.name for n in matmuls if n.name != head[0]], block_size, accuracy_level)
    return _quantize(model, layer_bits, head, block_size, accuracy_level)


def quantize_bundle(src: Path, out: Path, layer_bits: int = LAYER_BITS, head_bits: int = HEAD_BITS,
                    block_size: int = BLOCK_SIZE, accuracy_level: int = ACCURACY_LEVEL) -> dict:
    assert (src / "manifest.json").exists(), f"{src} is not a bundle"
    if out.exists():
        shutil.rmtree(out)
    shutil.copytree(src, out, ignore=shutil.ignore_patterns("lm.onnx"))
    what = describe(layer_bits, head_bits, block_size, accuracy_level)
    print(f"quantizing {src / 'lm.onnx'}: {what} ...", flush=True)
    onnx.save(quantize_lm(onnx.load(src / "lm.onnx"), layer_bits, head_bits, block_size, accuracy_level), str(out / "lm.onnx"))

    manifest = json.loads((src / "manifest.json").read_text())
    lm = out / "lm.onnx"
    manifest["files"]["lm.onnx"] = {"sha256": sha256_file(lm), "bytes": lm.stat().st_size}
    manifest["quantization"] = {"lm": what, "from_bundle": manifest["bundle_id"]}
    manifest["name"] = f"{manifest['name']}-int{layer_bits}" + (f"-head{head_bits}" if head_bits != HEAD_BITS else "")
    manifest["bundle_id"] = bundle_id(manifest)
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2))
    print(f"{out}: lm.onnx {lm.stat().st_size / 1e6:.0f} MB, bundle {manifest['bundle_id']}")
    return manifest


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bundle", type=Path, required=True)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--layer-bits", type=int, choices=(4, 8), default=LAYER_BITS)
    ap.add_argument("--head-bits", type=int, choices=(4, 8), default=HEAD_BITS)
    ap.add_argument("--block-size", type=int, default=BLOCK_SIZE)
    ap.add_argument("--accuracy-level", type=int, default=ACCURACY_LEVEL, help="4: int8 activations in the MatMul (fastest on CPU)")
    args = ap.parse_args()
    quantize_bundle(args.bundle, args.out, args.layer_bits, args.head_bits, args.block_size, args.accuracy_level)


if __name__ == "__main__":
    main()
