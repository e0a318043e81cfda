"""SQuAD-format JSONL: one paragraph per line with its questions and every human answer."""
import gzip
import json
import os
from dataclasses import dataclass
from pathlib import Path

_ROOT = Path(__file__).resolve().parent.parent


def squad_dir() -> Path:
    """The shared SQuAD folder: $SQUAD_DIR, else ../shared/data/squad beside the repository, else /work/shared."""
    candidates = [os.environ.get("SQUAD_DIR"), _ROOT.parent / "shared" / "data" / "squad", "/work/shared/data/squad"]
    for c in candidates:
        if c and Path(c).is_dir():
            return Path(c)
    raise FileNotFoundError("SQuAD data not found: set SQUAD_DIR to the folder holding squad-1.1-train.jsonl")


def plain_or_gzipped(path: Path) -> Path:
    """`path`, or `path.gz` where only that exists (read_jsonl reads either)."""
    gz = path.with_name(path.name + ".gz")
    return gz if not path.exists() and gz.exists() else path


def squad_file(name: str) -> Path:
    """A file of the SQuAD folder, or its gzipped copy (what travels to a lent accelerator: scripts/device/)."""
    return plain_or_gzipped(squad_dir() / name)


def read_jsonl(path: Path) -> list[dict]:
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "rt") as f:
        return [json.loads(line) for line in f if line.strip()]


@dataclass
class Question:
    id: str
    text: str
    answers: list[str]   # empty for SQuAD 2.0 unanswerable questions


@dataclass
class Paragraph:
    id: str
    title: str
    context: str
    questions: list[Question]


def load_squad(path: str | Path) -> list[Paragraph]:
    paragraphs = []
    with open(path) as f:
        for line_no, line in enumerate(f, 1):
            if not line.strip():
                continue
            row = json.loads(line)
            assert "context" in row and "qas" in row, f"{path}:{line_no}: not a SQuAD JSONL row"
            qs = [Question(q["id"], q["question"], list(q.get("answers", []))) for q in row["qas"]]
            paragraphs.append(Paragraph(row.get("id", f"p{line_no}"), row.get("title", ""), row["context"], qs))
    return paragraphs
