"""Two readers as one ONNX graph: both read the same inputs, and their start and end logits are averaged.

The service loads the result as it loads any reader (answer/reader.ts reads `start_logits` and `end_logits`), so
an ensemble needs no code of its own there; it costs two readers' time and bytes.

    scripts/python.sh -m mac.experiments.reader_ensemble weights/reader-minilm.onnx runs/reader-hard/reader-minilm.onnx \
        --out runs/reader-ensemble/reader-minilm.onnx
"""
import argparse
from pathlib import Path

import onnx
from onnx import compose, helper

OUTPUTS = ("start_logits", "end_logits")


def ensemble(paths: list[Path]) -> onnx.ModelProto:
    models = [onnx.load(str(p)) for p in paths]
    assert len({tuple((o.domain, o.version) for o in m.opset_import) for m in models}) == 1, "the readers' opsets differ"
    graph = helper.make_graph([], "reader_ensemble", list(models[0].graph.input), [])
    for k, m in enumerate(models):
        m = compose.add_prefix(m, prefix=f"r{k}/", rename_inputs=False, rename_outputs=True)
        graph.node.extend(m.graph.node)
        graph.initializer.extend(m.graph.initializer)
        graph.value_info.extend(m.graph.value_info)
    scale = helper.make_tensor("ensemble/scale", onnx.TensorProto.FLOAT, [], [1.0 / len(models)])
    graph.initializer.append(scale)
    for name in OUTPUTS:
        graph.node.append(helper.make_node("Sum", [f"r{k}/{name}" for k in range(len(models))], [f"ensemble/{name}_sum"]))
        graph.node.append(helper.make_node("Mul", [f"ensemble/{name}_sum", "ensemble/scale"], [name]))
        graph.output.append(next(o for o in models[0].graph.output if o.name == name))
    out = helper.make_model(graph, opset_imports=list(models[0].opset_import), ir_version=models[0].ir_version)
    onnx.checker.check_model(out)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("readers", nargs="+", type=Path)
    ap.add_argument("--out", type=Path, required=True)
    a = ap.parse_args()
    a.out.parent.mkdir(parents=True, exist_ok=True)
    onnx.save(ensemble(a.readers), str(a.out))
    print(f"{a.out}: {len(a.readers)} readers, {a.out.stat().st_size / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
