"""The reader's stored form and its way to and from a lent accelerator (mac/reader.py export, from-onnx, pack, unpack)."""
import json
from argparse import Namespace
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import torch
from onnx import helper, numpy_helper
from transformers import AutoModelForQuestionAnswering, AutoTokenizer

from mac.reader import ONNX, WORD_EMBEDDINGS, best_span, from_onnx, pack, read_back, stored_in_16_bits, unpack, word_embeddings_in_8_bits

CASES = json.loads((Path(__file__).resolve().parents[2] / "tests/fixtures/reader-spans.json").read_text())["cases"]


def torch_logits(model):
    def run(enc):
        with torch.no_grad():
            out = model(**{k: torch.from_numpy(v) for k, v in enc.items()})
        return out.start_logits[0].numpy(), out.end_logits[0].numpy()
    return run


def test_the_installed_reader_read_back_reads_as_it_does_in_the_service(tmp_path):
    from_onnx(Namespace(onnx=str(ONNX), out=str(tmp_path / "init")))
    model = AutoModelForQuestionAnswering.from_pretrained(tmp_path / "init").eval()
    tok = AutoTokenizer.from_pretrained(tmp_path / "init")
    read = [best_span(tok, torch_logits(model), c["question"], c["paragraph"]) for c in CASES]
    # fp32 in both; a weight put in the wrong place (transposed, another layer) leaves nothing of the scores.
    assert [span for span, _ in read] == [c["span"] for c in CASES]
    assert all(abs(gap - c["gap"]) < 0.02 for (_, gap), c in zip(read, CASES))


def test_weights_stored_in_16_bits_are_read_in_fp32(tmp_path):
    x = np.random.default_rng(0).standard_normal((3, 8)).astype(np.float32)
    w = np.random.default_rng(1).standard_normal((8, 4)).astype(np.float32)
    bias = np.full(4, 0.1, np.float32)
    graph = helper.make_graph([helper.make_node("MatMul", ["x", "w"], ["xw"]), helper.make_node("Add", ["xw", "bias"], ["y"])], "g",
                              [helper.make_tensor_value_info("x", onnx.TensorProto.FLOAT, [3, 8])],
                              [helper.make_tensor_value_info("y", onnx.TensorProto.FLOAT, [3, 4])],
                              [numpy_helper.from_array(w, "w"), numpy_helper.from_array(bias, "bias")])
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8), tmp_path / "fp32.onnx")
    stored_in_16_bits(tmp_path / "fp32.onnx", tmp_path / "16.onnx")
    stored = {i.name: i.data_type for i in onnx.load(tmp_path / "16.onnx").graph.initializer}
    assert stored == {"w_fp16": onnx.TensorProto.FLOAT16, "bias": onnx.TensorProto.FLOAT}
    y = ort.InferenceSession(str(tmp_path / "16.onnx"), providers=["CPUExecutionProvider"]).run(None, {"x": x})[0]
    assert y.dtype == np.float32
    np.testing.assert_allclose(y, x @ w.astype(np.float16).astype(np.float32) + bias, rtol=1e-6, atol=1e-6)


def test_the_word_embedding_table_is_stored_in_8_bits_and_read_in_fp32(tmp_path):
    table = np.random.default_rng(2).standard_normal((50, 8)).astype(np.float32) * np.linspace(0.01, 1, 50, dtype=np.float32)[:, None]
    ids = np.array([[0, 7, 49, 7]], np.int64)
    graph = helper.make_graph([helper.make_node("Gather", [WORD_EMBEDDINGS, "ids"], ["y"])], "g",
                              [helper.make_tensor_value_info("ids", onnx.TensorProto.INT64, [1, "n"])],
                              [helper.make_tensor_value_info("y", onnx.TensorProto.FLOAT, [1, "n", 8])],
                              [numpy_helper.from_array(table, WORD_EMBEDDINGS)])
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8), tmp_path / "fp32.onnx")
    stored_in_16_bits(tmp_path / "fp32.onnx", tmp_path / "16.onnx")
    word_embeddings_in_8_bits(tmp_path / "16.onnx", tmp_path / "8.onnx")
    stored = {i.name: i.data_type for i in onnx.load(tmp_path / "8.onnx").graph.initializer}
    assert stored == {f"{WORD_EMBEDDINGS}_int8": onnx.TensorProto.INT8, f"{WORD_EMBEDDINGS}_scale": onnx.TensorProto.FLOAT}
    session = ort.InferenceSession(str(tmp_path / "8.onnx"), providers=["CPUExecutionProvider"])
    y = session.run(None, {"ids": ids})[0]
    assert y.dtype == np.float32
    # each row within half a step of its own scale (its largest value / 127), small rows as finely as large ones
    step = np.abs(table).max(axis=1) / 127
    assert np.all(np.abs(y[0] - table[ids[0]]) <= step[ids[0], None] * 0.5 + 1e-3 * np.abs(table[ids[0]]))
    # and read back for training, the table is the one the graph reads
    every_row = session.run(None, {"ids": np.arange(50, dtype=np.int64)[None]})[0][0]
    assert read_back(onnx.load(tmp_path / "8.onnx").graph)[WORD_EMBEDDINGS].tolist() == every_row.tolist()


def test_packed_weights_come_back_as_the_model_export_stores(tmp_path):
    from_onnx(Namespace(onnx=str(ONNX), out=str(tmp_path / "run" / "model")))
    pack(Namespace(run=str(tmp_path / "run"), out=str(tmp_path / "reader-16bit.pt")))
    unpack(Namespace(weights=str(tmp_path / "reader-16bit.pt"), run=str(tmp_path / "back")))
    before = AutoModelForQuestionAnswering.from_pretrained(tmp_path / "run" / "model").state_dict()
    after = AutoModelForQuestionAnswering.from_pretrained(tmp_path / "back" / "model").state_dict()
    for name, weight in before.items():
        if name.endswith("position_ids"):
            continue
        # matrices as the exported reader stores them (float16), biases and norms exactly
        expected = weight.half().float() if weight.dim() > 1 else weight
        assert torch.equal(after[name], expected), name
