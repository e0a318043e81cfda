"""Meta-trains the MAC networks on SQuAD train paragraphs, against a frozen LM.

    python -m mac.train --preset default     # resumes from runs/default/ckpt.pt if present
    python -m mac.train --preset tiny        # small random LM, end to end in under a minute

Each step is one episode: a memory of `docs_per_step` paragraphs (half from one article, so the
distractors are hard), and questions on them; every question aggregates over the whole memory and
the loss is the NLL of its answer tokens under the frozen LM with the aggregated prefix.
"""
import argparse
import json
import math
import random
import time
from collections import defaultdict
from pathlib import Path

import torch
from tqdm import tqdm

from .build import load_base_models
from .cloze import with_cloze
from .config import TrainConfig, preset
from .data import load_squad, squad_dir
from .features import SplitFeatures, build_features, pad_sequences, pad_states
from .model import MacNetworks
from .prefix_lm import answer_nll


def sample_episode(feats: SplitFeatures, rng: random.Random, cfg: TrainConfig, by_title: dict):
    titles = sorted(by_title)
    same = by_title[rng.choice(titles)]
    docs = rng.sample(same, min(cfg.same_article_docs, len(same)))
    pool = [i for i in range(len(feats.paragraphs)) if i not in docs]
    docs += rng.sample(pool, min(cfg.docs_per_step - len(docs), len(pool)))
    rng.shuffle(docs)
    questions = []
    for d in docs:
        answerable = [qi for qi, q in enumerate(feats.paragraphs[d].questions) if q.answers]
        questions += [(d, qi) for qi in rng.sample(answerable, min(cfg.questions_per_doc, len(answerable)))]
    return docs, questions


def wrong_memory(feats: SplitFeatures, rng: random.Random, cfg: TrainConfig, by_title: dict, docs) -> list[int]:
    """Another episode's paragraphs, none of `docs`: the memory that should not answer `docs`' questions."""
    other, _ = sample_episode(feats, rng, cfg, by_title)
    return [d for d in other if d not in docs] or other


def episode_loss(net: MacNetworks, lm, pad_id: int, feats: SplitFeatures, docs, questions, use_memory=True):
    """Answer NLL of the questions over a memory of `docs`."""
    return episode_losses(net, lm, pad_id, feats, docs, questions, use_memory)[0]


def episode_losses(net: MacNetworks, lm, pad_id: int, feats: SplitFeatures, docs, questions, use_memory=True):
    """(answer NLL, selection NLL of each question's gold paragraph, selection accuracy); the last
    two are zero without memory, and when a question's paragraph is not in `docs`."""
    q_states, q_mask = pad_states([feats.question_states[d][q] for d, q in questions])
    ids, mask, target = pad_sequences([feats.prompt_ids[d][q] for d, q in questions],
                                      [feats.answer_ids[d][q] for d, q in questions], pad_id)
    zero = torch.zeros(())
    if not use_memory:
        return answer_nll(lm, ids, mask, target), zero, zero
    p_states, p_mask = pad_states([feats.passage_states[d] for d in docs])
    memory = net.amortizer(p_states, p_mask)                         # [N, T, M]
    B = len(questions)
    memories = memory[None].expand(B, -1, -1, -1)                    # [B, N, T, M]
    fused, weights = net.aggregate(q_states, q_mask, memories, torch.ones(B, len(docs), dtype=torch.long),
                                   return_weights=True)
    prefix_k, prefix_v = net.expander(fused)
    nll = answer_nll(lm, ids, mask, target, prefix_k, prefix_v)
    if not all(d in docs for d, _ in questions):
        return nll, zero, zero
    gold = torch.tensor([docs.index(d) for d, _ in questions])
    select_nll = -weights[torch.arange(B), gold].clamp(min=1e-9).log().mean()
    select_acc = (weights.argmax(-1) == gold).float().mean()
    return nll, select_nll, select_acc


def reconstruction_loss(net: MacNetworks, lm, tokenizer, pad_id: int, feats: SplitFeatures, docs, cfg: TrainConfig,
                        prefix_docs=None, use_memory: bool = True):
    """Auxiliary content loss: can the LM read a memory's own paragraph back from its prefix? Each of the
    first `recon_docs` memories goes through the expander alone; the NLL is over the paragraph's first
    `recon_tokens` LM tokens (after the first, which is given). Dense supervision on the content path,
    which the answer loss (a few tokens per question) barely reaches. `prefix_docs` (same length) takes
    the prefixes from other paragraphs instead, and use_memory=False drops them: the diagnostic's controls."""
    docs = docs[: cfg.recon_docs]
    ids = [tokenizer(feats.paragraphs[d].context, add_special_tokens=False)["input_ids"][: cfg.recon_tokens]
           for d in docs]
    tokens, mask, target = pad_sequences([t[:1] for t in ids], [t[1:] for t in ids], pad_id)
    if not use_memory:
        return answer_nll(lm, tokens, mask, target)
    p_states, p_mask = pad_states([feats.passage_states[d] for d in (prefix_docs or docs)[: len(docs)]])
    prefix_k, prefix_v = net.expander(net.amortizer(p_states, p_mask))
    return answer_nll(lm, tokens, mask, target, prefix_k, prefix_v)


@torch.no_grad()
def validate(net, lm, pad_id, feats, cfg, by_title, use_memory=True) -> tuple[float, float]:
    """(answer NLL, gold-selection accuracy) on the same validation episodes every time."""
    rng = random.Random(cfg.seed + 1)
    nll, acc, seen = 0.0, 0.0, 0
    net.eval()
    while seen < cfg.eval_questions:
        docs, qs = sample_episode(feats, rng, cfg, by_title)
        loss, _, select_acc = episode_losses(net, lm, pad_id, feats, docs, qs, use_memory)
        nll += loss.item() * len(qs)
        acc += select_acc.item() * len(qs)
        seen += len(qs)
    net.train()
    return nll / seen, acc / seen


def lr_at(step: int, cfg: TrainConfig) -> float:
    if step < cfg.warmup_steps:
        return cfg.lr * (step + 1) / cfg.warmup_steps
    progress = min(1.0, (step - cfg.warmup_steps) / max(1, cfg.max_steps - cfg.warmup_steps))
    return cfg.lr * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * progress)))


def group_by_title(feats: SplitFeatures) -> dict:
    by_title = defaultdict(list)
    for i, p in enumerate(feats.paragraphs):
        by_title[p.title].append(i)
    return by_title


def train(cfg: TrainConfig, max_train_paragraphs: int = 0) -> Path:
    torch.manual_seed(cfg.seed)
    out = Path(cfg.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    bm = load_base_models(cfg.mac)
    pad_id = bm.lm_tokenizer.pad_token_id if bm.lm_tokenizer.pad_token_id is not None else 0
    data = Path(cfg.data_dir) if cfg.data_dir else squad_dir()
    train_pars = load_squad(data / cfg.train_file)
    valid_pars = load_squad(data / cfg.valid_file)
    if max_train_paragraphs:
        train_pars, valid_pars = train_pars[:max_train_paragraphs], valid_pars[:max_train_paragraphs]
    train_cache = "features-train.pt"
    if cfg.cloze_per_paragraph:
        train_pars = with_cloze(train_pars, cfg.cloze_per_paragraph, cfg.seed)
        train_cache = f"features-train-cloze{cfg.cloze_per_paragraph}.pt"   # features-train.pt stays SQuAD's own
    mc = cfg.mac
    train_f = build_features(bm, train_pars, mc.max_passage_tokens, mc.max_question_tokens,
                             out / train_cache, "encode train")
    valid_f = build_features(bm, valid_pars, mc.max_passage_tokens, mc.max_question_tokens,
                             out / "features-valid.pt", "encode valid")
    train_titles, valid_titles = group_by_title(train_f), group_by_title(valid_f)

    net = MacNetworks(mc)
    opt = torch.optim.AdamW(net.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    ckpt_path, best_path, log_path = out / "ckpt.pt", out / "best.pt", out / "log.jsonl"
    step, elapsed, best = 0, 0.0, float("inf")
    rng = random.Random(cfg.seed)
    if ckpt_path.exists():
        ck = torch.load(ckpt_path, weights_only=False)
        net.load_state_dict(ck["model"])
        opt.load_state_dict(ck["optimizer"])
        step, elapsed, best = ck["step"], ck["elapsed"], ck["best_valid"]
        rng.setstate(ck["rng"])
        print(f"resumed from step {step} ({elapsed / 60:.1f} min trained, best valid {best:.4f})")
    else:
        if cfg.init_from:
            init = torch.load(cfg.init_from, weights_only=False)["model"]
            own = net.state_dict()
            usable = {k: v.float() for k, v in init.items() if k in own and own[k].shape == v.shape}
            net.load_state_dict(usable, strict=False)
            print(f"initialised {len(usable)}/{len(own)} tensors from {cfg.init_from}; "
                  f"new: {sorted(set(own) - set(usable))}")
        base_loss, _ = validate(net, bm.lm, pad_id, valid_f, cfg, valid_titles, use_memory=False)
        with open(log_path, "a") as f:
            f.write(json.dumps({"step": 0, "valid_loss_no_memory": base_loss}) + "\n")
        print(f"valid answer NLL without memory (frozen LM alone): {base_loss:.4f}")

    def save(path: Path, valid_loss=None):
        tmp = path.with_suffix(".tmp")
        torch.save({"config": cfg.to_dict(), "model": net.state_dict(), "optimizer": opt.state_dict(),
                    "step": step, "elapsed": elapsed, "best_valid": best, "rng": rng.getstate(),
                    "valid_loss": valid_loss, "lm_provenance": bm.lm_provenance,
                    "encoder_provenance": bm.encoder_provenance}, tmp)
        tmp.replace(path)  # atomic: a kill mid-save never leaves a torn checkpoint

    net.train()
    bar = tqdm(total=cfg.max_steps, initial=step, desc=f"train {cfg.name}", unit="step")
    running = None
    while step < cfg.max_steps and elapsed < cfg.max_minutes * 60:
        t0 = time.time()
        for group in opt.param_groups:
            group["lr"] = lr_at(step, cfg)
        docs, qs = sample_episode(train_f, rng, cfg, train_titles)
        nll, select_nll, _ = episode_losses(net, bm.lm, pad_id, train_f, docs, qs)
        loss = nll + cfg.selection_weight * select_nll
        contrast = torch.zeros(())
        if cfg.contrast_weight:
            wrong = episode_loss(net, bm.lm, pad_id, train_f, wrong_memory(train_f, rng, cfg, train_titles, docs), qs)
            contrast = torch.relu(cfg.contrast_margin - (wrong - nll))
            loss = loss + cfg.contrast_weight * contrast
        recon = torch.zeros(())
        if cfg.recon_weight:
            recon = reconstruction_loss(net, bm.lm, bm.lm_tokenizer, pad_id, train_f, docs, cfg)
            loss = loss + cfg.recon_weight * recon
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(net.parameters(), 1.0)
        opt.step()
        step += 1
        elapsed += time.time() - t0
        running = nll.item() if running is None else 0.95 * running + 0.05 * nll.item()
        bar.update(1)
        bar.set_postfix(nll=f"{running:.3f}", select=f"{select_nll.item():.2f}", min=f"{elapsed / 60:.1f}",
                        **({"recon": f"{recon.item():.2f}"} if cfg.recon_weight else {}),
                        **({"contrast": f"{contrast.item():.2f}"} if cfg.contrast_weight else {}))
        record = {"step": step, "loss": nll.item(), "select_loss": select_nll.item(), "recon_loss": recon.item(),
                  "contrast_loss": contrast.item(),
                  "lr": lr_at(step - 1, cfg), "elapsed_s": round(elapsed, 1)}
        if step % cfg.eval_every == 0 or step == cfg.max_steps:
            v, acc = validate(net, bm.lm, pad_id, valid_f, cfg, valid_titles)
            record["valid_loss"], record["valid_select_acc"] = v, acc
            if v < best:
                best = v
                save(best_path, v)
            bar.write(f"step {step}: valid answer NLL {v:.4f} (best {best:.4f}), gold selected {acc:.1%}")
        with open(log_path, "a") as f:
            f.write(json.dumps(record) + "\n")
        if step % cfg.checkpoint_every == 0:
            save(ckpt_path)
    bar.close()
    save(ckpt_path)
    if not best_path.exists():
        save(best_path, validate(net, bm.lm, pad_id, valid_f, cfg, valid_titles)[0])
    print(f"done: {step} steps, {elapsed / 60:.1f} min, best valid answer NLL {best:.4f} -> {best_path}")
    return best_path


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--preset", default="default", help="default | tiny")
    ap.add_argument("--out-dir", help="override the run folder")
    ap.add_argument("--lm", help="local Hugging Face causal-LM folder to use instead of SmolLM2")
    ap.add_argument("--encoder", help="local Hugging Face encoder folder to use instead of MiniLM")
    ap.add_argument("--max-steps", type=int)
    ap.add_argument("--max-minutes", type=float)
    ap.add_argument("--lr", type=float, help="peak learning rate")
    ap.add_argument("--warmup-steps", type=int)
    ap.add_argument("--max-train-paragraphs", type=int, default=0, help="0 = all (tiny uses 40)")
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--init-from", help="checkpoint whose matching weights start a new run")
    ap.add_argument("--docs-per-step", type=int, help="memory size per episode (1: only the gold paragraph)")
    ap.add_argument("--questions-per-doc", type=int)
    ap.add_argument("--prefix-len", type=int, help="prefix positions per LM layer")
    ap.add_argument("--contrast-weight", type=float, help="weight of the contrastive content loss (right vs wrong memory)")
    ap.add_argument("--cloze-per-paragraph", type=int, help="synthetic cloze questions added to each training paragraph")
    ap.add_argument("--no-question-queries", action="store_true",
                    help="the aggregator sees the question only through its selection scores")
    ap.add_argument("--recon-weight", type=float, help="weight of the auxiliary content loss (paragraph read back from its memory)")
    args = ap.parse_args()
    cfg = preset(args.preset)
    if args.out_dir:
        cfg.out_dir = args.out_dir
    if args.lm:
        cfg.mac.lm = args.lm
    if args.encoder:
        cfg.mac.encoder = args.encoder
    if args.max_steps:
        cfg.max_steps = args.max_steps
    if args.max_minutes:
        cfg.max_minutes = args.max_minutes
    if args.lr:
        cfg.lr = args.lr
    if args.warmup_steps is not None:
        cfg.warmup_steps = args.warmup_steps
    if args.init_from:
        cfg.init_from = args.init_from
    if args.docs_per_step:
        cfg.set_memory_size(args.docs_per_step)
    if args.questions_per_doc:
        cfg.questions_per_doc = args.questions_per_doc
    if args.contrast_weight is not None:
        cfg.contrast_weight = args.contrast_weight
    if args.recon_weight is not None:
        cfg.recon_weight = args.recon_weight
    if args.prefix_len:
        cfg.mac.prefix_len = args.prefix_len
    if args.cloze_per_paragraph is not None:
        cfg.cloze_per_paragraph = args.cloze_per_paragraph
    if args.no_question_queries:
        cfg.mac.question_queries = False
    if args.threads:
        torch.set_num_threads(args.threads)
    limit = args.max_train_paragraphs or (40 if args.preset == "tiny" else 0)
    train(cfg, limit)


if __name__ == "__main__":
    main()
