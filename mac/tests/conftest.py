from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TINY = ROOT / "bundles" / "tiny"


@pytest.fixture(scope="session")
def tiny_path() -> Path:
    # A missing bundle fails rather than skips: `npm run setup` builds it, and CI must not pass without it.
    if not (TINY / "manifest.json").exists():
        pytest.fail(f"{TINY} is missing: build it with `scripts/python.sh -m mac.train --preset tiny && "
                    f"scripts/python.sh -m mac.export --checkpoint runs/tiny/best.pt --out bundles/tiny`")
    return TINY


@pytest.fixture(scope="session")
def tiny_bundle(tiny_path):
    from mac.pipeline import OnnxBundle
    return OnnxBundle(tiny_path)


@pytest.fixture(scope="session")
def squad_validation() -> Path:
    from mac.data import squad_dir
    return squad_dir() / "squad-1.1-validation.jsonl"
