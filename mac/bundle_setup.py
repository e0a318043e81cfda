"""Builds the default bundle from the committed weights, unless an up-to-date one is already there.

    python -m mac.bundle_setup --weights weights/mac-smollm2.pt --out bundles/default [--lm-quant grid|rtn|none]

--lm-quant picks how the frozen LM is stored (quantize.py): `grid` (default) puts the GGUF's own 4-bit
Q4_1 layers and 8-bit Q8_0 head back into MatMulNBits exactly; `rtn` rounds to 4 bits again (loses F1
on long prompts); `none` keeps the fp32 export. The fp32 export is an intermediate that is removed once
a quantized bundle is complete.
"""
import argparse
import json
import shutil
from pathlib import Path

from .base_models import sha256_file
from .export import EXPORT_REVISION, FORMAT_VERSION, export_bundle
from .quantize import describe, quantize_bundle

LM_QUANT = ("grid", "rtn", "none")


def up_to_date(weights: Path, out: Path, lm_quant: str) -> bool:
    manifest = out / "manifest.json"
    if not manifest.exists():
        return False
    m = json.loads(manifest.read_text())
    quantization = m.get("quantization", {}).get("lm")
    return (m.get("format_version") == FORMAT_VERSION and m.get("export_revision") == EXPORT_REVISION
            and quantization == (None if lm_quant == "none" else describe(lm_quant))
            and m.get("training", {}).get("checkpoint_sha256") == sha256_file(weights)
            and all((out / f).exists() and (out / f).stat().st_size == spec["bytes"] for f, spec in m["files"].items()))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--weights", type=Path, required=True)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--lm-quant", choices=LM_QUANT, default="grid")
    ap.add_argument("--force", action="store_true")
    args = ap.parse_args()
    assert args.weights.exists(), f"{args.weights} not found: train with `python -m mac.train` and `python -m mac.release`"
    if not args.force and up_to_date(args.weights, args.out, args.lm_quant):
        print(f"{args.out} is up to date with {args.weights}")
        return
    if args.lm_quant == "none":
        export_bundle(args.weights, args.out, name="mac-smollm2-135m")
        return
    fp32 = args.out.with_name(args.out.name + ".fp32-partial")
    export_bundle(args.weights, fp32, name="mac-smollm2-135m")
    quantize_bundle(fp32, args.out, args.lm_quant)
    shutil.rmtree(fp32)


if __name__ == "__main__":
    main()
