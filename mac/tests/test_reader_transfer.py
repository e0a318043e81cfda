"""The reader's way to and from a lent accelerator (mac/reader.py from-onnx, pack, unpack)."""
import json
from argparse import Namespace
from pathlib import Path

import torch
from transformers import AutoModelForQuestionAnswering, AutoTokenizer

from mac.reader import ONNX, best_span, from_onnx, pack, unpack

CASES = json.loads((Path(__file__).resolve().parents[2] / "tests/fixtures/reader-spans.json").read_text())["cases"]


def torch_logits(model):
    def run(enc):
        with torch.no_grad():
            out = model(**{k: torch.from_numpy(v) for k, v in enc.items()})
        return out.start_logits[0].numpy(), out.end_logits[0].numpy()
    return run


def test_the_installed_reader_dequantized_reads_as_it_does_in_the_service(tmp_path):
    from_onnx(Namespace(onnx=str(ONNX), out=str(tmp_path / "init")))
    model = AutoModelForQuestionAnswering.from_pretrained(tmp_path / "init").eval()
    tok = AutoTokenizer.from_pretrained(tmp_path / "init")
    read = [best_span(tok, torch_logits(model), c["question"], c["paragraph"]) for c in CASES]
    # The service's reader quantizes activations too, so near-ties may fall the other way; a weight put in the
    # wrong place (transposed, another layer) leaves nothing of the scores.
    assert all(abs(gap - c["gap"]) < 1.5 for (_, gap), c in zip(read, CASES))
    assert sum(span == c["span"] for (span, _), c in zip(read, CASES)) >= 0.7 * len(CASES)


def test_packed_weights_come_back_as_the_same_model_in_bfloat16(tmp_path):
    from_onnx(Namespace(onnx=str(ONNX), out=str(tmp_path / "run" / "model")))
    pack(Namespace(run=str(tmp_path / "run"), out=str(tmp_path / "reader-bf16.pt")))
    unpack(Namespace(weights=str(tmp_path / "reader-bf16.pt"), run=str(tmp_path / "back")))
    before = AutoModelForQuestionAnswering.from_pretrained(tmp_path / "run" / "model").state_dict()
    after = AutoModelForQuestionAnswering.from_pretrained(tmp_path / "back" / "model").state_dict()
    for name, weight in before.items():
        assert torch.equal(after[name], weight.to(torch.bfloat16).float()) or name.endswith("position_ids"), name
