"""SQuAD-format JSONL: one paragraph per line with its questions and every human answer."""
import json
from dataclasses import dataclass
from pathlib import Path


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
