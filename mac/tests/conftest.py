from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TINY = ROOT / "bundles" / "tiny"
SQUAD = ROOT.parent / "shared" / "data" / "squad"


@pytest.fixture(scope="session")
def tiny_path() -> Path:
    if not (TINY / "manifest.json").exists():
        pytest.skip(f"{TINY} is missing: build it with `scripts/python.sh -m mac.train --preset tiny && "
                    f"scripts/python.sh -m mac.export --checkpoint runs/tiny/best.pt --out bundles/tiny`")
    return TINY


@pytest.fixture(scope="session")
def tiny_bundle(tiny_path):
    from mac.pipeline import OnnxBundle
    return OnnxBundle(tiny_path)


@pytest.fixture(scope="session")
def squad_validation() -> Path:
    path = SQUAD / "squad-1.1-validation.jsonl"
    if not path.exists():
        pytest.skip(f"{path} is missing (the shared SQuAD data)")
    return path
