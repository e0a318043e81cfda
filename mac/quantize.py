"""Derives a bundle whose frozen LM has 4-bit weights (ONNX Runtime MatMulNBits), everything else shared.

    python -m mac.quantize --bundle bundles/default --out bundles/default-int4

The decoder is memory-bandwidth bound on a CPU: fp32 weights are 8x the bytes of the 4-bit GGUF that
llama.cpp runs. The manifest keeps the same contract; its files, bundle_id and a `quantization` entry
change. Quality must be re-measured with the evaluation harness before such a bundle is used.
"""
import argparse
import json
import shutil
from pathlib import Path

import onnx
from onnxruntime.quantization.matmul_nbits_quantizer import MatMulNBitsQuantizer

from .base_models import sha256_file
from .export import bundle_id


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bundle", type=Path, required=True)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--block-size", type=int, default=32)
    ap.add_argument("--accuracy-level", type=int, default=4, help="4: int8 activations in the MatMul (fastest on CPU)")
    args = ap.parse_args()
    assert (args.bundle / "manifest.json").exists(), f"{args.bundle} is not a bundle"
    if args.out.exists():
        shutil.rmtree(args.out)
    shutil.copytree(args.bundle, args.out, ignore=shutil.ignore_patterns("lm.onnx"))
    print(f"quantizing {args.bundle / 'lm.onnx'} to 4-bit blocks of {args.block_size} ...", flush=True)
    quantizer = MatMulNBitsQuantizer(onnx.load(args.bundle / "lm.onnx"), block_size=args.block_size,
                                     is_symmetric=False, accuracy_level=args.accuracy_level)
    quantizer.process()
    quantizer.model.save_model_to_file(str(args.out / "lm.onnx"), use_external_data_format=False)

    manifest = json.loads((args.bundle / "manifest.json").read_text())
    lm = args.out / "lm.onnx"
    manifest["files"]["lm.onnx"] = {"sha256": sha256_file(lm), "bytes": lm.stat().st_size}
    manifest["quantization"] = {"lm": f"MatMulNBits 4-bit, block {args.block_size}, asymmetric, accuracy_level {args.accuracy_level}",
                                "from_bundle": manifest["bundle_id"]}
    manifest["name"] = f"{manifest['name']}-int4"
    manifest["bundle_id"] = bundle_id(manifest)
    (args.out / "manifest.json").write_text(json.dumps(manifest, indent=2))
    print(f"{args.out}: lm.onnx {lm.stat().st_size / 1e6:.0f} MB, bundle {manifest['bundle_id']}")


if __name__ == "__main__":
    main()
