"""Measures the service's abstention threshold (ABSTAIN_BELOW): the best candidate's cosine similarity.

    scripts/python.sh -m mac.abstention --bundle bundles/default --out results/abstention-squad-2.0.json

The memory holds every SQuAD 2.0 validation paragraph. Three groups of questions are scored by the cosine
similarity of their best passage: answerable questions on those paragraphs, the SQuAD 2.0 unanswerable
questions written on the same paragraphs, and questions about articles that are not in memory at all
(SQuAD 2.0 train, answerable). The threshold is meant for the last group: "nothing relevant in memory".
"""
import argparse
import json
import random
import sys
from pathlib import Path

import numpy as np
from tqdm import tqdm

from .data import load_squad, squad_dir
from .evaluate import ingest
from .pipeline import OnnxBundle

THRESHOLDS = [round(t, 2) for t in np.arange(0.0, 0.85, 0.05)]


def best_similarity(bundle: OnnxBundle, memory, questions: list[str], desc: str) -> np.ndarray:
    out = []
    for start in tqdm(range(0, len(questions), 32), desc=desc, unit="batch"):
        _, _, emb = bundle.encode(questions[start:start + 32], bundle.max_question_tokens)
        out.append((emb @ memory.embeddings.T).max(1))
    return np.concatenate(out)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bundle", default="bundles/default")
    ap.add_argument("--data-dir", help="default: $SQUAD_DIR or the shared folder")
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--per-group", type=int, default=1000)
    ap.add_argument("--max-false-abstain", type=float, default=0.05, help="allowed share of in-memory answerable questions abstained")
    args = ap.parse_args(argv)
    rng = random.Random(0)
    bundle = OnnxBundle(args.bundle)
    data = Path(args.data_dir) if args.data_dir else squad_dir()
    valid = load_squad(data / "squad-2.0-validation.jsonl")
    memory = ingest(bundle, valid, "int8")
    answerable = [q.text for p in valid for q in p.questions if q.answers]
    unanswerable = [q.text for p in valid for q in p.questions if not q.answers]
    elsewhere = [q.text for p in load_squad(data / "squad-2.0-train.jsonl") for q in p.questions if q.answers]
    groups = {name: rng.sample(qs, min(args.per_group, len(qs)))
              for name, qs in [("answerable_in_memory", answerable), ("unanswerable_same_paragraphs", unanswerable),
                               ("not_in_memory", elsewhere)]}
    sims = {name: best_similarity(bundle, memory, qs, name) for name, qs in groups.items()}
    table = [{"threshold": t, **{f"abstain_{name}": float((s < t).mean()) for name, s in sims.items()}} for t in THRESHOLDS]
    ok = [row for row in table if row["abstain_answerable_in_memory"] <= args.max_false_abstain]
    chosen = max(ok, key=lambda r: r["threshold"])
    result = {
        "command": " ".join(["scripts/python.sh -m mac.abstention"] + (argv if argv is not None else sys.argv[1:])),
        "bundle_id": bundle.manifest["bundle_id"],
        "memory_paragraphs": len(valid),
        "questions_per_group": {k: len(v) for k, v in groups.items()},
        "similarity_median": {k: float(np.median(v)) for k, v in sims.items()},
        "rule": f"largest threshold abstaining on at most {args.max_false_abstain:.0%} of answerable in-memory questions",
        "chosen": chosen,
        "table": table,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2))
    lines = [f"Command: `{result['command']}`", "", "| threshold | " + " | ".join(f"abstains on {k}" for k in sims) + " |",
             "|---|" + "---|" * len(sims)]
    lines += [f"| {r['threshold']:.2f} | " + " | ".join(f"{r[f'abstain_{k}']:.1%}" for k in sims) + " |" for r in table]
    args.out.with_suffix(".md").write_text("\n".join(lines) + "\n")
    print(json.dumps({k: result[k] for k in ("similarity_median", "chosen")}, indent=2))


if __name__ == "__main__":
    main()
