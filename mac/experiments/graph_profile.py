"""Where a bundle graph's time goes, by operator type (onnxruntime's profiler, 2 threads, in Python's
onnxruntime): the memory encoder's pass over real SQuAD paragraphs, or the LM's prompt pass and its decode
steps over the same paragraphs as prompts (46th session).

    scripts/python.sh -m mac.experiments.graph_profile bundles/default/memory_encoder.onnx
    scripts/python.sh -m mac.experiments.graph_profile bundles/default/lm.onnx --decode-steps 16
"""
import argparse
import bisect
import collections
import json
import tempfile
from pathlib import Path

import numpy as np
import onnxruntime as ort
from tokenizers import Tokenizer


def feeds(ids: list[int], past: dict, start: int) -> dict:
    out = {"input_ids": np.array([ids], np.int64), "attention_mask": np.ones((1, start + len(ids)), np.int64),
           "position_ids": np.arange(start, start + len(ids), dtype=np.int64)[None]}
    return out | past


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("graph", type=Path)
    ap.add_argument("--tokenizer", type=Path, default=Path("bundles/default/tokenizers/lm/tokenizer.json"))
    ap.add_argument("--data", type=Path, default=Path("../shared/data/squad/squad-1.1-validation.jsonl"))
    ap.add_argument("--paragraphs", type=int, default=8)
    ap.add_argument("--decode-steps", type=int, default=0, help="an LM graph: greedy steps after each prompt pass")
    args = ap.parse_args()
    tokenizer = Tokenizer.from_file(str(args.tokenizer))
    with args.data.open() as f:
        texts = [json.loads(line)["context"] for line, _ in zip(f, range(args.paragraphs))]
    options = ort.SessionOptions()
    options.intra_op_num_threads, options.inter_op_num_threads = 2, 1
    options.enable_profiling = True
    options.profile_file_prefix = str(Path(tempfile.mkdtemp()) / "profile")
    session = ort.InferenceSession(str(args.graph), options, providers=["CPUExecutionProvider"])
    outputs = [o.name for o in session.get_outputs()]
    dims = json.loads((args.graph.parent / "manifest.json").read_text())["dims"]   # the graph's bundle
    layers = range(dims["lm_layers"])
    empty = {f"past_key_values.{l}.{kv}": np.zeros((1, dims["lm_kv_heads"], 0, dims["lm_head_dim"]), np.float32) for l in layers for kv in ("key", "value")}
    passes = []   # "prompt" or "step", in run order
    for _ in range(2):
        for text in texts:
            ids = tokenizer.encode(text).ids[:256]
            result = dict(zip(outputs, session.run(None, feeds(ids, empty, 0))))
            passes.append("prompt")
            for step in range(args.decode_steps):
                past = {f"past_key_values.{l}.{kv}": result[f"present.{l}.{kv}"] for l in layers for kv in ("key", "value")}
                token = int(result["logits"][0, -1].argmax())
                result = dict(zip(outputs, session.run(None, feeds([token], past, len(ids) + step))))
                passes.append("step")
    events = json.loads(Path(session.end_profiling()).read_text())
    runs = sorted(e["ts"] for e in events if e.get("cat") == "Session" and e["name"] == "model_run")
    times = {"prompt": collections.Counter(), "step": collections.Counter()}
    for e in events:
        if e.get("cat") == "Node" and e["name"].endswith("_kernel_time"):
            times[passes[bisect.bisect_right(runs, e["ts"]) - 1]][e["args"]["op_name"]] += e["dur"] / 1000
    for kind, by_op in times.items():
        n, total = passes.count(kind), sum(by_op.values())
        if not n:
            continue
        print(f"{kind} pass: {total / n:.2f} ms of kernels on average over {n}")
        for op, ms in by_op.most_common(8):
            print(f"  {op:34s} {ms / n:8.3f} ms  {ms / total:6.1%}")


if __name__ == "__main__":
    main()
