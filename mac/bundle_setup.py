"""Builds the default bundle from the committed weights, unless an up-to-date one is already there.

    python -m mac.bundle_setup --out bundles/default [--memory-encoder weights/memory-encoder-words-64.pt] \
        [--lm-quant grid|rtn|none] [--encoder-quant int8|none] [--calibration weights/calibration.json] \
        [--reader weights/reader-minilm.onnx]

--memory-encoder gives the trained adapters the LM reads passages with (mac/train.py); without it
the LM reads them as it is (the training-free memory).

--lm-quant picks how the frozen LM is stored (quantize.py): `grid` (default) puts the GGUF's own 4-bit
Q4_1 layers and 8-bit Q8_0 head back into MatMulNBits exactly; `rtn` rounds to 4 bits again (loses F1
on long prompts); `none` keeps the fp32 export. --encoder-quant int8 (default) stores the passage
encoder's weights in int8 per channel (ingestion 1.4x faster, same recall and F1: README, "Ingestion");
`none` keeps it fp32. The fp32 export is an intermediate that is removed once the bundle is complete.

--calibration installs the calibrated confidence fitted on this bundle's answers (`npm run calibrate`) as
the bundle's calibration.json; one fitted on another bundle is left out, with a warning (the service then
reports uncalibrated confidence).

--reader installs the extractive reader that proposes and checks grounded answers (answer/reader.ts; trained by
mac/reader.py) as the bundle's reader.onnx. It reads with the bundle's encoder tokenizer. It changes grounded
answers but nothing stored (the index and the memories are tied to the bundle id), so it stays outside the
bundle id and a new reader needs no re-ingestion; what depends on it names its hash instead: the
calibration (reader_sha256, checked at start-up) and the eval logs (`reader`).
"""
import argparse
import json
import shutil
from pathlib import Path

from .base_models import sha256_file
from .config import MemoryConfig, preset
from .export import EXPORT_REVISION, FORMAT_VERSION, export_bundle
from .quantize import ENCODER_INT8, describe, quantize_bundle, quantize_encoder

LM_QUANT = ("grid", "rtn", "none")
ENCODER_QUANT = ("int8", "none")


def up_to_date(out: Path, lm_quant: str, encoder_quant: str, memory_encoder: Path | None) -> bool:
    manifest = out / "manifest.json"
    if not manifest.exists():
        return False
    m = json.loads(manifest.read_text())
    quantization = m.get("quantization", {})
    return (m.get("format_version") == FORMAT_VERSION and m.get("export_revision") == EXPORT_REVISION
            and quantization.get("lm") == (None if lm_quant == "none" else describe(lm_quant))
            and quantization.get("encoder") == (None if encoder_quant == "none" else ENCODER_INT8)
            and m.get("memory", {}).get("encoder", {}).get("weights_sha256") == (memory_encoder and sha256_file(memory_encoder))
            and m.get("memory", {}).get("codec") == MemoryConfig().codec
            and all((out / f).exists() and (out / f).stat().st_size == spec["bytes"] for f, spec in m["files"].items()))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--lm-quant", choices=LM_QUANT, default="grid")
    ap.add_argument("--encoder-quant", choices=ENCODER_QUANT, default="int8")
    ap.add_argument("--memory-encoder", type=Path, default=None,
                    help="trained memory-encoder adapters (mac/train.py); without: the LM encodes memories as is")
    ap.add_argument("--calibration", type=Path, default=None, help="calibration.json fitted on this bundle (npm run calibrate)")
    ap.add_argument("--reader", type=Path, default=None, help="the reader that proposes and checks grounded answers (answer/reader.ts)")
    ap.add_argument("--force", action="store_true")
    args = ap.parse_args()
    assert args.memory_encoder is None or args.memory_encoder.exists(), (
        f"{args.memory_encoder} not found: train one with `python -m mac.train` (mac/experiments/)")
    if not args.force and up_to_date(args.out, args.lm_quant, args.encoder_quant, args.memory_encoder):
        print(f"{args.out} is up to date")
    else:
        build(args)
    install_reader(args.out, args.reader)
    install_calibration(args.out, args.calibration)


def install_reader(out: Path, reader: Path | None):
    installed = out / "reader.onnx"
    if reader is None:
        installed.unlink(missing_ok=True)
        print(f"no reader given: {out} leaves grounded answers unchecked")
        return
    digest = sha256_file(reader)
    if not installed.exists() or sha256_file(installed) != digest:
        shutil.copyfile(reader, installed)
    print(f"{installed}: the reader that proposes and checks grounded answers ({digest[:12]})")


def install_calibration(out: Path, calibration: Path | None):
    installed = out / "calibration.json"
    if calibration is None or not calibration.exists():
        print(f"no calibration given: {out} answers with uncalibrated confidence")
        return
    fitted_on = json.loads(calibration.read_text())["bundle_id"]
    bundle = json.loads((out / "manifest.json").read_text())["bundle_id"]
    if fitted_on == bundle:
        shutil.copyfile(calibration, installed)
        print(f"{installed}: calibrated confidence installed")
        return
    installed.unlink(missing_ok=True)
    print(f"warning: {calibration} was fitted on bundle {fitted_on}, not {bundle}: not installed, so answers carry "
          "uncalibrated confidence. Refit it on this bundle: `npm run calibrate` (results/README.md)")


def build(args):
    steps = [lambda src, dst: quantize_bundle(src, dst, args.lm_quant)] if args.lm_quant != "none" else []
    steps += [quantize_encoder] if args.encoder_quant != "none" else []
    # Each step derives a new bundle folder from the last; all but the final one are removed.
    stages = [args.out.with_name(f"{args.out.name}.partial-{i}") for i in range(len(steps))] + [args.out]
    export_bundle(stages[0], preset("default"), name="mac-smollm2-135m", memory_encoder=args.memory_encoder)
    for step, src, dst in zip(steps, stages, stages[1:]):
        step(src, dst)
        shutil.rmtree(src)


if __name__ == "__main__":
    main()
