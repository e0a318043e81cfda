"""Derives a bundle whose frozen LM has 4-bit weights (ONNX Runtime MatMulNBits), everything else shared.

    python -m mac.quantize --bundle bundles/default-fp32 --out bundles/default

The decoder is memory-bandwidth bound on a CPU: fp32 weights are 8x the bytes of the 4-bit GGUF that
llama.cpp runs. The manifest keeps the same contract; its files, bundle_id and a `quantization` entry
change. Quality is measured with the evaluation harness (README, "Quantized LM").
"""
import argparse
import json
import shutil
from pathlib import Path

import onnx
from onnxruntime.quantization.matmul_nbits_quantizer import MatMulNBitsQuantizer

from .base_models import sha256_file
from .export import bundle_id

BLOCK_SIZE = 32          # GGUF Q4_1's block: the default LM's weights were 4-bit blocks of 32 to begin with
ACCURACY_LEVEL = 4       # int8 activations inside the MatMul: the fastest CPU kernels


def describe(block_size: int = BLOCK_SIZE, accuracy_level: int = ACCURACY_LEVEL) -> str:
    return f"MatMulNBits 4-bit, block {block_size}, asymmetric, accuracy_level {accuracy_level}"


def quantize_bundle(src: Path, out: Path, block_size: int = BLOCK_SIZE, accuracy_level: int = ACCURACY_LEVEL) -> dict:
    assert (src / "manifest.json").exists(), f"{src} is not a bundle"
    if out.exists():
        shutil.rmtree(out)
    shutil.copytree(src, out, ignore=shutil.ignore_patterns("lm.onnx"))
    print(f"quantizing {src / 'lm.onnx'} to 4-bit blocks of {block_size} ...", flush=True)
    quantizer = MatMulNBitsQuantizer(onnx.load(src / "lm.onnx"), block_size=block_size,
                                     is_symmetric=False, accuracy_level=accuracy_level)
    quantizer.process()
    quantizer.model.save_model_to_file(str(out / "lm.onnx"), use_external_data_format=False)

    manifest = json.loads((src / "manifest.json").read_text())
    lm = out / "lm.onnx"
    manifest["files"]["lm.onnx"] = {"sha256": sha256_file(lm), "bytes": lm.stat().st_size}
    manifest["quantization"] = {"lm": describe(block_size, accuracy_level), "from_bundle": manifest["bundle_id"]}
    manifest["name"] = f"{manifest['name']}-int4"
    manifest["bundle_id"] = bundle_id(manifest)
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2))
    print(f"{out}: lm.onnx {lm.stat().st_size / 1e6:.0f} MB, bundle {manifest['bundle_id']}")
    return manifest


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bundle", type=Path, required=True)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--block-size", type=int, default=BLOCK_SIZE)
    ap.add_argument("--accuracy-level", type=int, default=ACCURACY_LEVEL, help="4: int8 activations in the MatMul (fastest on CPU)")
    args = ap.parse_args()
    quantize_bundle(args.bundle, args.out, args.block_size, args.accuracy_level)


if __name__ == "__main__":
    main()
