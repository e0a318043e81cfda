import json
import time

from mac.evaluate import main

MODES = ["base", "mac", "rag", "oracle", "mac_rag", "finetune"]


def test_evaluate_cli_on_tiny_bundle(tiny_path, squad_validation, tmp_path):
    data = tmp_path / "three.jsonl"
    with open(squad_validation) as f:
        data.write_text("".join(next(f) for _ in range(3)))
    out = tmp_path / "result.json"
    start = time.perf_counter()
    main(["--data", str(data), "--out", str(out), "--bundle", str(tiny_path), "--limit", "4",
          "--modes", ",".join(MODES), "--k", "8", "--finetune-paragraphs", "2", "--retention-questions", "4"])
    print(f"tiny evaluation took {time.perf_counter() - start:.1f} s")
    result = json.loads(out.read_text())
    assert {"data", "bundle", "bundle_id", "bundle_sha256", "command", "settings", "modes", "retention",
            "bytes_per_paragraph", "retrieval", "questions_skipped_unanswerable"} <= set(result)
    assert list(result["modes"]) == MODES
    for mode, r in result["modes"].items():
        assert {"em", "f1", "prefix_em", "n", "median_latency_ms", "p95_latency_ms", "mean_prompt_tokens"} <= set(r)
        assert 0 <= r["f1"] <= 1 and r["n"] > 0, mode
    assert result["modes"]["base"]["n"] == 4 and result["modes"]["mac"]["k"] == 8
    assert "first 2 paragraphs" in result["modes"]["finetune"]["subset"]
    assert result["retention"]["questions"] == 4
    dims = json.loads((tiny_path / "manifest.json").read_text())["dims"]
    assert result["bytes_per_paragraph"]["per_passage"]["modulation"] == dims["mem_tokens"] * dims["mod_dim"]
    assert 0 <= result["retrieval"]["recall_at_8"] <= 1
    assert result["command"].startswith("scripts/python.sh -m mac.evaluate --data")
    assert "| mac |" in out.with_suffix(".md").read_text()


def test_reuse_takes_each_mode_only_when_the_files_it_reads_are_unchanged(tmp_path):
    from types import SimpleNamespace

    from mac.evaluate import reusable_modes

    files = {"lm.onnx": "a", "encoder.onnx": "b", "tokenizers/lm/tokenizer.json": "c", "aggregator.onnx": "d"}
    settings = {"limit": 500, "rag_k": 3, "codec": "int8", "finetune_paragraphs": 40, "finetune_lr": 1e-5, "k": 8}
    run = lambda f: {"data": str(tmp_path), "settings": settings, "prompt": "p", "files_sha256": f,
                     "modes": {m: {"f1": 0.1} for m in ("base", "mac", "rag", "oracle")}}
    args = SimpleNamespace(reuse=tmp_path / "previous.json")
    assert set(reusable_modes(run(files), run(files), args, ["base", "mac", "rag"])) == {"base", "mac", "rag"}
    retrained = {**files, "aggregator.onnx": "e"}
    assert set(reusable_modes(run(files), run(retrained), args, ["base", "mac", "rag"])) == {"base", "rag"}
    assert reusable_modes(run(files), run({**files, "lm.onnx": "x"}), args, ["base", "mac"]) == {}
    int8_encoder = {**files, "encoder.onnx": "x"}   # retrieval changes: rag and mac rerun, base and oracle do not
    assert set(reusable_modes(run(files), run(int8_encoder), args, ["base", "oracle", "mac", "rag"])) == {"base", "oracle"}
    assert reusable_modes(run(files), run({**files, "tokenizers/lm/tokenizer.json": "x"}), args, ["base"]) == {}
    one_by_one = {**run(files), "settings": {**settings, "encode_batch": 1}}   # batching moves int8 encodings
    assert set(reusable_modes(run(files), one_by_one, args, ["base", "oracle", "mac", "rag"])) == {"base", "oracle"}
