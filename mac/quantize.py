"""Derives a bundle whose frozen LM runs on ONNX Runtime's MatMulNBits (4- or 8-bit blocks of 32), everything else shared.

Two methods:
  grid  (default) weights that are exactly a dequantized GGUF tensor go back onto the GGUF's own grid,
        bit for bit (gguf_grid.py): the default LM's Q4_1 layers and Q8_0 head. Any other weight is
        rounded as `rtn` does.
  rtn   every weight is rounded to an asymmetric integer grid of --layer-bits (--head-bits for the MatMul
        that writes `logits`). On the default LM this rounds the GGUF's weights a second time and costs
        4-5 F1 on long prompts (README, "Quantized LM").

    python -m mac.quantize --bundle bundles/default --out bundles/lm-gguf [--method rtn --layer-bits 4 --head-bits 8]
    python -m mac.quantize --bundle bundles/lm-gguf --out bundles/enc8 --encoder-only   # int8 encoder (what setup does)

The decoder is memory-bandwidth bound on a CPU: fp32 weights are 8x the bytes of the 4-bit GGUF that
llama.cpp runs. The manifest keeps the same contract; its files, bundle_id and a `quantization` entry
change. Quality is measured with the evaluation harness (README, "Quantized LM").
"""
import argparse
import json
import shutil
from pathlib import Path

import onnx
from onnx import numpy_helper
from onnxruntime.quantization.matmul_nbits_quantizer import DefaultWeightOnlyQuantConfig, MatMulNBitsQuantizer

from .base_models import sha256_file
from .export import bundle_id
from .gguf_grid import q4_1_grid, q4_1_nodes, q8_0_grid, q8_0_nodes

BLOCK_SIZE = 32          # GGUF Q4_1's block: the default LM's weights were 4-bit blocks of 32 to begin with
ACCURACY_LEVEL = 4       # int8 activations inside the MatMul: the fastest CPU kernels
LAYER_BITS, HEAD_BITS = 4, 8
METHODS = ("grid", "rtn")


def describe(method: str = "grid", layer_bits: int = LAYER_BITS, head_bits: int = HEAD_BITS,
             block_size: int = BLOCK_SIZE, accuracy_level: int = ACCURACY_LEVEL) -> str:
    rtn = f"{layer_bits}-bit (LM head {head_bits}-bit), block {block_size}, asymmetric"
    what = f"GGUF grid (Q4_1 layers, Q8_0 head) exactly, else {rtn}" if method == "grid" else rtn
    return f"MatMulNBits {what}, accuracy_level {accuracy_level}"


def _rtn(model: onnx.ModelProto, bits: int, exclude: list[str], block_size: int, accuracy_level: int):
    config = DefaultWeightOnlyQuantConfig(block_size=block_size, is_symmetric=False,
                                          accuracy_level=accuracy_level, bits=bits)
    quantizer = MatMulNBitsQuantizer(model, block_size=block_size, is_symmetric=False, accuracy_level=accuracy_level,
                                     nodes_to_exclude=exclude, algo_config=config)
    quantizer.process()
    return quantizer.model.model


def _onto_grid(model: onnx.ModelProto, head: str, accuracy_level: int) -> tuple[onnx.ModelProto, set[str]]:
    """Rewrites every weight MatMul that sits exactly on a GGUF grid; returns the names of the new nodes."""
    graph = model.graph
    inits = {i.name: i for i in graph.initializer}
    nodes, new_inits, replaced_weights, added = [], [], set(), set()
    for node in graph.node:
        weight = inits.get(node.input[1]) if node.op_type == "MatMul" and len(node.input) == 2 else None
        if weight is None or node.input[0] in inits or ".lora." in node.name:   # adapters stay fp32
            nodes.append(node)
            continue
        w = numpy_helper.to_array(weight)
        grid = q8_0_grid(w) if node.name == head else q4_1_grid(w)
        if grid is None:
            nodes.append(node)
            continue
        build = q8_0_nodes if node.name == head else q4_1_nodes
        rewritten, created = build(node.name, node.input[0], node.output[0], grid, accuracy_level)
        nodes += rewritten
        new_inits += created
        added |= {n.name for n in rewritten}
        replaced_weights.add(weight.name)
    still_used = {i for n in nodes for i in n.input}
    kept = [i for i in graph.initializer if i.name not in replaced_weights or i.name in still_used]
    del graph.node[:], graph.initializer[:]
    graph.node.extend(nodes)
    graph.initializer.extend(kept + new_inits)
    return model, added


def quantize_lm(model: onnx.ModelProto, method: str = "grid", layer_bits: int = LAYER_BITS, head_bits: int = HEAD_BITS,
                block_size: int = BLOCK_SIZE, accuracy_level: int = ACCURACY_LEVEL):
    """Every MatMul with constant weights to MatMulNBits: onto the GGUF grid where exact (method grid),
    the rest rounded, the head to head_bits, the other layers to layer_bits."""
    assert method in METHODS, method
    matmuls = [n for n in model.graph.node if n.op_type == "MatMul"]
    head = [n.name for n in matmuls if "logits" in n.output]
    assert len(head) == 1, f"expected one MatMul writing logits, found {head}"
    added: set[str] = set()
    if method == "grid":
        model, added = _onto_grid(model, head[0], accuracy_level)
        on_grid = sum(n.op_type == "MatMulNBits" for n in model.graph.node)
        print(f"  {on_grid}/{len(matmuls)} weight MatMuls written exactly on the GGUF grid", flush=True)
    left = [n.name for n in model.graph.node if n.op_type == "MatMul" and n.name not in added]
    if head[0] in left:
        model = _rtn(model, head_bits, [n.name for n in model.graph.node if n.name != head[0]], block_size, accuracy_level)
    if set(left) - {head[0]}:
        exclude = [n.name for n in model.graph.node if n.name not in set(left) - {head[0]}]
        model = _rtn(model, layer_bits, exclude, block_size, accuracy_level)
    return model


def quantize_memory_encoder(model: onnx.ModelProto, accuracy_level: int = ACCURACY_LEVEL) -> onnx.ModelProto:
    """The memory encoder's LM weights onto the GGUF grid exactly (the LoRA adapters beside them stay fp32,
    so the encoding pass is the trained one, bit for bit, apart from the runtime's own arithmetic)."""
    model, added = _onto_grid(model, "", accuracy_level)
    inits = {i.name for i in model.graph.initializer}
    left = [n.name for n in model.graph.node if n.op_type == "MatMul" and ".lora." not in n.name
            and n.name not in added and n.input[1] in inits]
    assert not left, f"memory encoder: weights off the GGUF grid: {left[:3]}"
    return model


ENCODER_INT8 = "dynamic int8 MatMul/Attention weights, per channel (onnxruntime.quantization.quantize_dynamic)"


MEMORY_ENCODER = "memory_encoder.onnx"


def _derive(src: Path, out: Path, file: str, write, quantization: dict, suffix: str, also: list[str] = ()) -> dict:
    """Copies bundle `src` to `out` with `file` written anew by `write(path)`; the manifest gets the file's
    hash, `quantization` added to its quantization entry (which keeps what earlier derivations recorded,
    and the first unquantized bundle as `from_bundle`), the name suffix and a new bundle_id."""
    assert (src / "manifest.json").exists(), f"{src} is not a bundle"
    if out.exists():
        shutil.rmtree(out)
    shutil.copytree(src, out, ignore=shutil.ignore_patterns(file, *also))
    write(out / file)
    manifest = json.loads((src / "manifest.json").read_text())
    for name in [file, *also]:
        if (out / name).exists():
            manifest["files"][name] = {"sha256": sha256_file(out / name), "bytes": (out / name).stat().st_size}
    path = out / file
    manifest["quantization"] = {**manifest.get("quantization", {}), **quantization}
    manifest["quantization"].setdefault("from_bundle", manifest["bundle_id"])
    manifest["name"] = f"{manifest['name']}-{suffix}"
    manifest["bundle_id"] = bundle_id(manifest)
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2))
    print(f"{out}: {file} {path.stat().st_size / 1e6:.0f} MB, bundle {manifest['bundle_id']}")
    return manifest


def quantize_encoder(src: Path, out: Path) -> dict:
    """A bundle whose encoder has int8 weights (activations quantized per call); everything else shared."""
    import logging

    from onnxruntime.quantization import QuantType, quantize_dynamic

    def write(path: Path):
        logging.getLogger().setLevel(logging.WARNING)   # the quantizer logs every tensor at INFO
        print(f"quantizing {src / 'encoder.onnx'}: {ENCODER_INT8} ...", flush=True)
        quantize_dynamic(str(src / "encoder.onnx"), str(path), weight_type=QuantType.QInt8, per_channel=True,
                         op_types_to_quantize=["MatMul", "Attention", "Gemm"],
                         extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT})   # the fused graph's contrib ops

    return _derive(src, out, "encoder.onnx", write, {"encoder": ENCODER_INT8}, "enc8")


def quantize_bundle(src: Path, out: Path, method: str = "grid", layer_bits: int = LAYER_BITS, head_bits: int = HEAD_BITS,
                    block_size: int = BLOCK_SIZE, accuracy_level: int = ACCURACY_LEVEL) -> dict:
    what = describe(method, layer_bits, head_bits, block_size, accuracy_level)

    def write(path: Path):
        print(f"quantizing {src / 'lm.onnx'}: {what} ...", flush=True)
        onnx.save(quantize_lm(onnx.load(src / "lm.onnx"), method, layer_bits, head_bits, block_size, accuracy_level), str(path))
        if (src / MEMORY_ENCODER).exists():
            assert method == "grid", "the memory encoder's adapters were trained on the GGUF grid: use --lm-quant grid"
            print(f"quantizing {src / MEMORY_ENCODER}: GGUF grid, adapters fp32 ...", flush=True)
            onnx.save(quantize_memory_encoder(onnx.load(src / MEMORY_ENCODER), accuracy_level), str(path.parent / MEMORY_ENCODER))

    suffix = "gguf" if method == "grid" else f"int{layer_bits}" + (f"-head{head_bits}" if head_bits != HEAD_BITS else "")
    return _derive(src, out, "lm.onnx", write, {"lm": what}, suffix, also=[MEMORY_ENCODER])


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bundle", type=Path, required=True)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--method", choices=METHODS, default="grid")
    ap.add_argument("--layer-bits", type=int, choices=(4, 8), default=LAYER_BITS, help="rtn: bits of the decoder layers")
    ap.add_argument("--head-bits", type=int, choices=(4, 8), default=HEAD_BITS, help="rtn: bits of the LM head")
    ap.add_argument("--block-size", type=int, default=BLOCK_SIZE)
    ap.add_argument("--accuracy-level", type=int, default=ACCURACY_LEVEL, help="4: int8 activations in the MatMul (fastest on CPU)")
    ap.add_argument("--encoder-only", action="store_true", help="int8 encoder instead; the LM is left as it is")
    args = ap.parse_args()
    if args.encoder_only:
        quantize_encoder(args.bundle, args.out)
        return
    quantize_bundle(args.bundle, args.out, args.method, args.layer_bits, args.head_bits, args.block_size, args.accuracy_level)


if __name__ == "__main__":
    main()
