"""The reader exported int8 (the installed form until the 32nd session), for comparing forms of one reader.

Dynamic int8: weights per channel, each product's input rounded to 8 bits per tensor as it runs. By default each
layer's feed-forward output product stays fp32: its input (after GELU) has the widest range, and rounding it cost
three readers 0.4-2.3 held-out F1; --all rounds every product, as the installed reader was exported before the
31st session (results/reader-negatives.md, docs/experiments.md).

    scripts/python.sh -m mac.reader export --run runs/reader-eight --out runs/reader-eight/reader-minilm.onnx   # writes <run>/reader.onnx too
    scripts/python.sh -m mac.experiments.reader_int8 runs/reader-eight/reader.onnx runs/reader-eight/reader-minilm-int8.onnx
"""
import argparse
import logging
import re
from pathlib import Path


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("fp32", type=Path, help="a reader's fp32 ONNX (mac.reader export writes <run>/reader.onnx)")
    ap.add_argument("out", type=Path)
    ap.add_argument("--all", action="store_true", help="round the feed-forward output products too")
    a = ap.parse_args()
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic
    logging.getLogger().setLevel(logging.WARNING)
    graph = onnx.load(str(a.fp32), load_external_data=False).graph
    ffn_out = [n.name for n in graph.node if n.op_type == "MatMul" and re.search(r"/layer\.\d+/output/dense/", n.name)]
    assert ffn_out, f"{a.fp32}: no feed-forward output MatMul found (node names changed?)"
    quantize_dynamic(str(a.fp32), str(a.out), weight_type=QuantType.QInt8, per_channel=True, op_types_to_quantize=["MatMul", "Gemm", "Gather"],
                     nodes_to_exclude=[] if a.all else ffn_out, extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT})
    print(f"{a.out}: {a.out.stat().st_size / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
