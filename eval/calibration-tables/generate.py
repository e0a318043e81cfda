"""Writes eval/calibration-tables/documents.jsonl: tables reserved for fitting the calibrated confidence
(`npm run calibrate`), never evaluated on. The same kinds of invented table as eval/long-tables (its makers,
drawn with seeds of their own), each kept whole (30-52 rows, cut into passages) or cut down to 3-8 rows, as
tables written by hand mostly are. A third of the questions have no answer in their document, as a user's
question about a table often has none:

- a missing row: the row the question names is taken out of the table ("Which gate does flight NV123 leave
  from?" where no flight NV123 is listed);
- a missing column: the column holding the answer is taken out ("What is the IP address of amber-07?" where
  the inventory lists no addresses); the questions that quote one of its cells lose their answer too.

Run from the repository root:

    python3 eval/calibration-tables/generate.py
"""

import importlib.util
import json
import random
from pathlib import Path

HERE = Path(__file__).parent
_spec = importlib.util.spec_from_file_location("long_tables", HERE.parent / "long-tables" / "generate.py")
long_tables = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(long_tables)

SEED = 2026_12_07
#: draws of every maker: each document kept whole, or cut down to a short table
DRAWS = 3
SHORT = (3, 8)


def shorten(rng, doc):
    """The rows its questions ask about and others drawn to make 3-8, in the table's order."""
    asked = {q.row for q in doc.questions}
    size = max(len(asked), rng.randint(*SHORT))
    others = rng.sample([r for r in range(len(doc.rows)) if r not in asked], size - len(asked))
    keep = sorted(asked | set(others))
    return keep_rows(doc, keep)


def keep_rows(doc, keep):
    """The document with only the rows `keep` (indices, in order); questions about the others lose their answer."""
    where = {old: new for new, old in enumerate(keep)}
    doc.rows = [doc.rows[r] for r in keep]
    for q in doc.questions:
        q.row = where.get(q.row, -1)
    return doc


def drop_column(doc, column):
    """The document without `column`: the questions answered from it, or quoting one of its cells, lose their answer."""
    quoted = {cells[column] for cells in doc.rows}
    doc.header = [h for c, h in enumerate(doc.header) if c != column]
    for q in doc.questions:
        asks = q.row >= 0 and (q.column == column or any(value in q.text for value in quoted))
        q.row = -1 if asks else q.row
        q.column = q.column - (q.column > column)
    doc.rows = [[v for c, v in enumerate(cells) if c != column] for cells in doc.rows]
    return doc


def unanswer(rng, doc):
    """Takes the answer away from some of the document's questions: two missing rows, or one missing column."""
    if rng.random() < 0.5:
        gone = {q.row for q in rng.sample(doc.questions, 2)}
        return keep_rows(doc, [r for r in range(len(doc.rows)) if r not in gone])
    columns = sorted({q.column for q in doc.questions if q.column > 0})
    return drop_column(doc, rng.choice(columns))


def main():
    rng = random.Random(SEED)
    out = HERE / "documents.jsonl"
    counts = [0, 0]
    with out.open("w") as f:
        for draw in range(DRAWS):
            for k, make in enumerate(long_tables.MAKERS, start=1):
                doc = make(rng)
                if draw > 0:
                    doc = shorten(rng, doc)
                if (draw + k) % 3 != 0:
                    doc = unanswer(rng, doc)
                doc_id = f"calibration-tables-{draw + 1}-{k:02d}"
                qas = []
                for j, q in enumerate(doc.questions):
                    answers = [doc.rows[q.row][q.column]] if q.row >= 0 else []
                    counts[not answers] += 1
                    qas.append({"id": f"{doc_id}-q{j}", "question": q.text, "answers": answers})
                f.write(json.dumps({"id": doc_id, "title": doc.title, "context": doc.text, "qas": qas}) + "\n")
    print(f"wrote {out}: {counts[0]} answerable and {counts[1]} unanswerable questions")


if __name__ == "__main__":
    main()
