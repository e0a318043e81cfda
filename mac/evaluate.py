"""Evaluates an exported bundle the way the service runs it: stream every paragraph into memory, then ask.

    scripts/python.sh -m mac.evaluate --data ../shared/data/squad/squad-1.1-validation.jsonl \\
        --out runs/eval/squad11.json --limit 300

Modes (all greedy, at most 16 new tokens, one shared prompt template):
  base      closed book, no prefix                       rag     top --rag-k passages in the prompt
  mac       prefix aggregated over the top --k passages  oracle  the gold paragraph in the prompt
  mac_rag   mac's prefix + rag's prompt
  finetune  the paper's uniform online fine-tuning baseline (PyTorch, since ONNX cannot train): one
            AdamW step (lr --finetune-lr, default 1e-5 as in the MAC reference) of causal-LM loss per
            paragraph, in stream order, over the first --finetune-paragraphs paragraphs; then only the
            questions of those paragraphs, closed book.
Retrieval is exact cosine search over the passage embeddings (the service uses hnswlib, ef >= 100).
EM is standard SQuAD EM; prefix_em is the MAC reference's non-standard variant (see mac/metrics.py).
Writes OUT (JSON, rewritten after every mode) and OUT with .md (a table headed by the command).
"""
import argparse
import hashlib
import json
import shlex
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from tqdm import tqdm

from .data import Paragraph, Question, load_squad
from .metrics import exact_match, f1, prefix_exact_match
from .passages import split_passages
from .pipeline import CODECS, OnnxBundle
from .prompt import build_prompt

MODES = ("base", "mac", "rag", "oracle", "mac_rag", "finetune")
MAX_NEW_TOKENS = 16            # as the reference decodes
RETENTION_PARAGRAPHS = 100
# Texts per encoder call (--encode-batch). One, as the service encodes (encoder/onnx-encoder.ts): the int8
# encoder quantizes activations per call, so a passage's modulation and embedding depend on its batchmates.
ENCODE_BATCH = 1


@dataclass
class Memory:
    """The memory bank as the service holds it: one codec-encoded modulation and embedding per passage,
    in stream order (so the first n passages are the memory as it was after their paragraphs)."""
    codec: str
    stored: list[np.ndarray]      # per passage, codec-encoded [T, M]
    embeddings: np.ndarray        # [passages, E] float32, L2-normalized
    texts: list[str]
    paragraph_of: np.ndarray      # [passages] index of the source paragraph

    def search(self, query: np.ndarray, k: int, size: int | None = None) -> np.ndarray:
        """Indices of the top-k passages by cosine among the first `size` (default all), best first."""
        scores = self.embeddings[:size] @ query
        top = np.argpartition(-scores, min(k, len(scores)) - 1)[:k]
        return top[np.argsort(-scores[top])]

    def modulations(self, indices: np.ndarray) -> np.ndarray:
        decode = CODECS[self.codec][1]
        return np.stack([decode(self.stored[i]) for i in indices])   # [k, T, M] float32


def ingest(bundle: OnnxBundle, paragraphs: list[Paragraph], codec: str, encode_batch: int = ENCODE_BATCH) -> Memory:
    texts, paragraph_of = [], []
    for p_index, p in enumerate(paragraphs):
        for passage in split_passages(p.context, bundle.count_encoder_tokens, bundle.max_passage_tokens):
            texts.append(passage)
            paragraph_of.append(p_index)
    encode = CODECS[codec][0]
    stored: list[np.ndarray | None] = [None] * len(texts)
    embeddings = np.zeros((len(texts), bundle.manifest["dims"]["encoder_dim"]), np.float32)
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))   # similar lengths pad less
    with tqdm(total=len(texts), desc="ingest", unit="passage") as bar:
        for start in range(0, len(order), encode_batch):
            batch = order[start:start + encode_batch]
            states, mask, emb = bundle.encode([texts[i] for i in batch])
            modulation = bundle.amortize(states, mask)                  # [b, T, M]
            for row, i in enumerate(batch):
                stored[i] = encode(modulation[row])
                embeddings[i] = emb[row]
            bar.update(len(batch))
    return Memory(codec, stored, embeddings, texts, np.array(paragraph_of))  # type: ignore[arg-type]


def select_questions(paragraphs: list[Paragraph], limit: int) -> tuple[list[tuple[int, Question]], int]:
    """The first `limit` questions in file order (0 = all), minus the unanswerable ones, and their count."""
    picked, skipped, seen = [], 0, 0
    for p_index, p in enumerate(paragraphs):
        for q in p.questions:
            if limit and seen == limit:
                return picked, skipped
            seen += 1
            if q.answers:
                picked.append((p_index, q))
            else:
                skipped += 1
    return picked, skipped


def answer(bundle: OnnxBundle, memory: Memory, mode: str, question: str, gold: Paragraph, k: int, rag_k: int,
           memory_size: int | None = None):
    """One question through the service's path for `mode`; returns the Generation and its wall seconds."""
    start = time.perf_counter()
    prefix, passages = None, None
    if mode in ("mac", "rag", "mac_rag"):
        q_states, q_mask, q_emb = bundle.encode([question], bundle.max_question_tokens)
        top = memory.search(q_emb[0], max(k, rag_k), memory_size)
        if mode in ("mac", "mac_rag"):
            prefix_k, prefix_v, _ = bundle.aggregate(q_states, q_mask, memory.modulations(top[:k]))
            prefix = (prefix_k, prefix_v)
        if mode in ("rag", "mac_rag"):
            passages = [memory.texts[i] for i in top[:rag_k]]
    elif mode == "oracle":
        passages = [gold.context]
    generation = bundle.generate(build_prompt(question, passages), prefix, MAX_NEW_TOKENS)
    return generation, time.perf_counter() - start


def score(records: list[dict]) -> dict:
    """records: per question {"prediction", "golds", "seconds", "prompt_tokens"} -> the mode's summary."""
    latency_ms = np.array([r["seconds"] for r in records]) * 1000
    return {
        "n": len(records),
        "em": float(np.mean([exact_match(r["prediction"], r["golds"]) for r in records])),
        "f1": float(np.mean([f1(r["prediction"], r["golds"]) for r in records])),
        "prefix_em": float(np.mean([prefix_exact_match(r["prediction"], r["golds"]) for r in records])),
        "prefix_em_note": "non-standard: MAC reference EM on the prediction's first len(gold) characters",
        "median_latency_ms": float(np.median(latency_ms)),
        "p95_latency_ms": float(np.percentile(latency_ms, 95)),
        "mean_prompt_tokens": float(np.mean([r["prompt_tokens"] for r in records])),
        "examples": [{k: r[k] for k in ("question", "prediction", "golds")} for r in records[:5]],
    }


def run_onnx_mode(bundle, memory, paragraphs, questions, mode, k, rag_k, memory_size=None, desc=None) -> list[dict]:
    records = []
    for p_index, q in tqdm(questions, desc=desc or mode, unit="q"):
        generation, seconds = answer(bundle, memory, mode, q.text, paragraphs[p_index], k, rag_k, memory_size)
        records.append({"id": q.id, "question": q.text, "prediction": generation.text, "golds": q.answers,
                        "seconds": seconds, "ttft_seconds": generation.seconds_to_first_token,
                        "prompt_tokens": generation.prompt_token_count})
    return records


def run_finetune(bundle: OnnxBundle, paragraphs: list[Paragraph], questions, lr: float, threads: int):
    """Uniform online fine-tuning: one step per paragraph in stream order, then closed-book answers."""
    # PyTorch and transformers load only here: every other mode runs on ONNX Runtime alone.
    import copy

    import torch

    from .build import load_base_models
    from .config import MacConfig
    from .generate import greedy_generate

    torch.set_num_threads(threads)
    torch.manual_seed(0)
    bm = load_base_models(MacConfig(**bundle.manifest["training"]["config"]["mac"]))
    lm = copy.deepcopy(bm.lm)   # the frozen base stays untouched
    for p in lm.parameters():
        p.requires_grad_(True)
    opt = torch.optim.AdamW(lm.parameters(), lr=lr, weight_decay=0.0)
    lm.train()
    start = time.perf_counter()
    for p in tqdm(paragraphs, desc="finetune adapt", unit="paragraph"):
        ids = bm.lm_tokenizer(p.context, add_special_tokens=False, truncation=True,
                              max_length=bundle.max_lm_tokens, return_tensors="pt")["input_ids"]
        loss = lm(input_ids=ids, labels=ids).loss
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    adapt_seconds = time.perf_counter() - start
    lm.eval()
    records = []
    for _, q in tqdm(questions, desc="finetune", unit="q"):
        start = time.perf_counter()
        prompt_ids = bundle.lm_tokenizer.encode(build_prompt(q.text), add_special_tokens=False).ids
        out = greedy_generate(lm, prompt_ids, None, None, bm.lm_tokenizer, MAX_NEW_TOKENS, bundle.stop_ids)
        records.append({"id": q.id, "question": q.text, "prediction": bundle.lm_tokenizer.decode(out).strip(),
                        "golds": q.answers, "seconds": time.perf_counter() - start, "prompt_tokens": len(prompt_ids)})
    return records, adapt_seconds


def bytes_per_paragraph(memory: Memory, paragraphs: int) -> dict:
    passages = len(memory.texts)
    totals = {"modulation": sum(s.nbytes for s in memory.stored),
              "embedding": passages * memory.embeddings.shape[1] * 4,    # float32, as the index keeps it
              "text": sum(len(t.encode()) for t in memory.texts)}
    totals["total"] = sum(totals.values())
    return {"codec": memory.codec, "passages_per_paragraph": passages / paragraphs,
            "per_paragraph": {k: v / paragraphs for k, v in totals.items()},
            "per_passage": {k: v / passages for k, v in totals.items()}}


def retrieval_recall(bundle, memory, questions, ks: list[int], encode_batch: int = ENCODE_BATCH) -> dict:
    hits = {k: 0 for k in ks}
    for start in tqdm(range(0, len(questions), encode_batch), desc="retrieval", unit="batch"):
        batch = questions[start:start + encode_batch]
        _, _, q_emb = bundle.encode([q.text for _, q in batch], bundle.max_question_tokens)
        for (p_index, _), emb in zip(batch, q_emb):
            top = memory.search(emb, max(ks))
            for k in ks:
                hits[k] += int(p_index in memory.paragraph_of[top[:k]])
    return {f"recall_at_{k}": hits[k] / max(1, len(questions)) for k in ks} | {"n": len(questions)}


def write_markdown(path: Path, result: dict):
    lines = ["```", result["command"], "```", "",
             "| mode | n | EM | F1 | prefix EM (non-standard) | median ms | p95 ms | prompt tokens |",
             "|---|---|---|---|---|---|---|---|"]
    for mode, r in result["modes"].items():
        lines.append(f"| {mode} | {r['n']} | {r['em']:.3f} | {r['f1']:.3f} | {r['prefix_em']:.3f} | "
                     f"{r['median_latency_ms']:.0f} | {r['p95_latency_ms']:.0f} | {r['mean_prompt_tokens']:.0f} |")
    if "finetune" in result["modes"]:
        lines += ["", f"finetune: {result['modes']['finetune']['subset']}"]
    if result.get("reused"):
        lines += ["", f"{', '.join(result['reused']['modes'])}: reused from {result['reused']['from']} (same data, and the "
                      "same settings and byte-identical bundle files that each of these modes reads; latencies are that run's)"]
    if result.get("retention"):
        r = result["retention"]
        lines += ["", f"retention (mac F1 on {r['questions']} questions of the first {r['paragraphs']} paragraphs): "
                      f"{r['f1_before']:.3f} with their {r['passages_before']} passages in memory, "
                      f"{r['f1_after']:.3f} with all {r['passages_after']}"]
    b, rec = result["bytes_per_paragraph"], result["retrieval"]
    lines += ["", f"memory per paragraph ({b['codec']}): " +
              ", ".join(f"{k} {v:.0f} B" for k, v in b["per_paragraph"].items()),
              "", "retrieval: " + ", ".join(f"{k} {v:.3f}" for k, v in rec.items() if k.startswith("recall")),
              "", f"unanswerable questions skipped: {result['questions_skipped_unanswerable']}"]
    path.write_text("\n".join(lines) + "\n")


# What each mode's answers depend on: bundle files (tokenizers always) and settings. A mode is reused
# from an earlier run only when all of its own are unchanged; the MAC modes depend on every file.
LM_FILES = ("lm.onnx",)
MODE_FILES = {"base": LM_FILES, "oracle": LM_FILES, "finetune": LM_FILES,
              "rag": LM_FILES + ("encoder.onnx",), "mac": None, "mac_rag": None}
MODE_SETTINGS = {"base": (), "oracle": (), "finetune": ("finetune_paragraphs", "finetune_lr"),
                 "rag": ("rag_k", "encode_batch"), "mac": ("k", "codec", "encode_batch"),
                 "mac_rag": ("k", "rag_k", "codec", "encode_batch")}


def reusable_modes(previous: dict, result: dict, args, modes: list[str]) -> dict:
    """Modes of an earlier run that cannot have changed: same data, question limit and prompt, and the
    same files (sha256) and settings that the mode depends on (MODE_FILES, MODE_SETTINGS). The rest is rerun."""
    before, now = previous.get("files_sha256", {}), result["files_sha256"]
    same_run = (Path(previous["data"]).resolve() == Path(result["data"]).resolve()
                and previous["settings"].get("limit") == result["settings"].get("limit")
                and previous.get("prompt") == result.get("prompt")
                and all(before.get(f) == sha for f, sha in now.items() if f.startswith("tokenizers/")))

    def unchanged(mode: str) -> bool:
        files = MODE_FILES[mode] or tuple((set(now) | set(before)) - {"parity.json"})   # fixtures, never read
        return (all(before.get(f) == now.get(f) for f in files)
                and all(previous["settings"].get(k) == result["settings"].get(k) for k in MODE_SETTINGS[mode]))

    reused = {m: previous["modes"][m] for m in modes if same_run and m in previous["modes"] and unchanged(m)}
    rerun = [m for m in modes if m not in reused]
    if rerun:
        print(f"--reuse {args.reuse}: rerunning {', '.join(rerun)} (data, settings or the files they depend on differ)")
    return reused


def main(argv: list[str] | None = None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", required=True, type=Path, help="SQuAD-format JSONL, one paragraph per line")
    ap.add_argument("--out", required=True, type=Path, help="RESULT.json; RESULT.md is written beside it")
    ap.add_argument("--bundle", default=Path("bundles/default"), type=Path)
    ap.add_argument("--limit", type=int, default=0, help="answer the first N questions (0 = all)")
    ap.add_argument("--modes", default="base,mac,rag,oracle,mac_rag")
    ap.add_argument("--k", type=int, default=8, help="passages aggregated into the mac prefix")
    ap.add_argument("--rag-k", type=int, default=3, help="passages put in the rag prompt")
    ap.add_argument("--codec", default="int8", choices=sorted(CODECS))
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--finetune-paragraphs", type=int, default=40)
    ap.add_argument("--finetune-lr", type=float, default=1e-5)
    ap.add_argument("--retention-questions", type=int, default=200)
    ap.add_argument("--encode-batch", type=int, default=ENCODE_BATCH,
                    help="texts per encoder call (1, as the service; results before it was 1 used 16)")
    ap.add_argument("--reuse", type=Path, help="earlier RESULT.json: copy each of its modes whose inputs are "
                    "unchanged (same data, settings, and sha256 of the bundle files that mode reads: base, oracle "
                    "and finetune the LM; rag also the encoder; mac and mac_rag every file) instead of rerunning it")
    args = ap.parse_args(argv)
    modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    assert all(m in MODES for m in modes), f"unknown mode in {modes}: choose from {', '.join(MODES)}"
    command = "scripts/python.sh -m mac.evaluate " + shlex.join(sys.argv[1:] if argv is None else argv)

    bundle = OnnxBundle(args.bundle, args.threads)
    paragraphs = load_squad(args.data)
    questions, skipped = select_questions(paragraphs, args.limit)
    assert questions, f"{args.data}: no answerable questions among the first {args.limit or 'all'}"
    start = time.perf_counter()
    memory = ingest(bundle, paragraphs, args.codec, args.encode_batch)
    ingest_seconds = time.perf_counter() - start

    result = {
        "data": str(args.data), "bundle": str(args.bundle), "bundle_id": bundle.manifest["bundle_id"],
        "bundle_sha256": hashlib.sha256((args.bundle / "manifest.json").read_bytes()).hexdigest(),
        "files_sha256": {name: f["sha256"] for name, f in bundle.manifest["files"].items()},
        "command": command,
        "settings": {**{k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()},
                     "modes": modes, "max_new_tokens": MAX_NEW_TOKENS, "paragraphs": len(paragraphs),
                     "passages": len(memory.texts), "questions": len(questions),
                     "retrieval": "exact cosine (numpy)"},
        "ingestion": {"seconds": ingest_seconds, "ms_per_paragraph": 1000 * ingest_seconds / len(paragraphs)},
        "modes": {}, "retention": None,
        "bytes_per_paragraph": bytes_per_paragraph(memory, len(paragraphs)),
        "retrieval": retrieval_recall(bundle, memory, questions, sorted({1, args.k, args.rag_k}), args.encode_batch),
        "questions_skipped_unanswerable": skipped,
        "prompt": bundle.manifest["prompt"],
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)

    def save():
        args.out.write_text(json.dumps(result, indent=2))
        write_markdown(args.out.with_suffix(".md"), result)

    save()
    per_question = {}
    if args.reuse:
        reused = reusable_modes(json.loads(args.reuse.read_text()), result, args, modes)
        result["modes"].update(reused)
        result["reused"] = {"from": str(args.reuse), "modes": sorted(reused)}
        save()
    requested = modes
    modes = [m for m in modes if m not in result["modes"]]
    for mode in modes:
        if mode == "finetune":
            adapted = paragraphs[: args.finetune_paragraphs]
            subset = [(p, q) for p, q in questions if p < len(adapted)]
            records, adapt_seconds = run_finetune(bundle, adapted, subset, args.finetune_lr, args.threads)
            summary = score(records) | {
                "subset": f"only the {len(subset)} questions of the first {len(adapted)} paragraphs",
                "lr": args.finetune_lr, "adapt_seconds": adapt_seconds,
                "adapt_ms_per_paragraph": 1000 * adapt_seconds / len(adapted)}
            if "base" in per_question:   # the closed-book score on the same subset, for comparison
                ids = {q.id for _, q in subset}
                summary["base_on_subset"] = {k: v for k, v in score(
                    [r for r in per_question["base"] if r["id"] in ids]).items() if k in ("n", "em", "f1")}
        else:
            records = run_onnx_mode(bundle, memory, paragraphs, questions, mode, args.k, args.rag_k)
            summary = score(records)
            if mode in ("mac", "mac_rag"):
                summary["k"] = args.k
            if mode in ("rag", "mac_rag"):
                summary["rag_k"] = args.rag_k
            summary["median_ttft_ms"] = float(np.median([r["ttft_seconds"] for r in records]) * 1000)
        per_question[mode] = records
        result["modes"][mode] = summary
        save()

    if "mac" in requested and args.retention_questions > 0:   # also when mac itself was reused
        first = min(RETENTION_PARAGRAPHS, len(paragraphs))
        cap = min(args.retention_questions, args.limit or args.retention_questions)
        subset = [(i, q) for i, p in enumerate(paragraphs[:first]) for q in p.questions if q.answers][:cap]
        size_before = int((memory.paragraph_of < first).sum())
        before = score(run_onnx_mode(bundle, memory, paragraphs, subset, "mac", args.k, args.rag_k,
                                     memory_size=size_before, desc="retention before"))
        after = score(run_onnx_mode(bundle, memory, paragraphs, subset, "mac", args.k, args.rag_k,
                                    desc="retention after"))
        result["retention"] = {"paragraphs": first, "questions": len(subset), "k": args.k,
                               "passages_before": size_before, "passages_after": len(memory.texts),
                               "f1_before": before["f1"], "f1_after": after["f1"],
                               "em_before": before["em"], "em_after": after["em"]}
        save()
    print(f"{args.out}: " + ", ".join(f"{m} F1 {r['f1']:.3f}" for m, r in result["modes"].items()))


if __name__ == "__main__":
    main()
