"""Does the memory carry knowledge, or only answer style? Validation answer NLL three ways.

    scripts/python.sh -m mac.diagnose --checkpoint weights/mac-smollm2.pt

  no memory      the frozen LM alone (the closed-book baseline)
  gold memory    each question's paragraph among distractors (as trained)
  wrong memory   the same questions over a memory of other paragraphs (no gold)

If `wrong` is close to `gold`, the prefix mostly teaches the LM how to answer, not what. Also the
aggregator's gold-selection accuracy among the episode's paragraphs (chance: 1 / docs_per_step).
"""
import argparse
import json
import random
from pathlib import Path

import torch

from .build import load_base_models
from .data import load_squad, squad_dir
from .export import load_checkpoint
from .features import build_features
from .model import MacNetworks
from .train import episode_loss, episode_losses, group_by_title, reconstruction_loss, sample_episode, wrong_memory


@torch.no_grad()
def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--checkpoint", required=True)
    ap.add_argument("--questions", type=int, default=400)
    ap.add_argument("--memory-size", type=int, help="paragraphs per memory (default: as trained; 1 = the gold "
                    "paragraph alone against one other paragraph, the plainest test of content)")
    ap.add_argument("--split", choices=("valid", "train"), default="valid",
                    help="train: the paragraphs the networks were trained on (memorised vs general content)")
    ap.add_argument("--recon", action="store_true", help="also the paragraph read back from its own memory "
                    "against another's and none (the reconstruction path)")
    ap.add_argument("--threads", type=int, default=0)
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    cfg, ck = load_checkpoint(args.checkpoint)
    if args.memory_size:
        cfg.set_memory_size(args.memory_size)
    bm = load_base_models(cfg.mac)
    net = MacNetworks(cfg.mac)
    net.load_state_dict({k: v.float() for k, v in ck["model"].items()})
    net.eval()
    pad_id = bm.lm_tokenizer.pad_token_id or 0
    cache = Path(args.checkpoint).parent / f"features-{args.split}.pt"    # a training run's own, if there
    file = cfg.valid_file if args.split == "valid" else cfg.train_file
    feats = build_features(bm, load_squad(squad_dir() / file), cfg.mac.max_passage_tokens,
                           cfg.mac.max_question_tokens, cache if cache.exists() else None, f"encode {args.split}")
    titles = group_by_title(feats)
    rng = random.Random(cfg.seed + 7)
    totals = {"no_memory": 0.0, "gold_memory": 0.0, "wrong_memory": 0.0, "gold_selected": 0.0}
    # The reconstruction path (train --recon-weight): each paragraph read back from its own memory, from
    # another paragraph's, and with no prefix (first recon_tokens LM tokens; per paragraph, not per question).
    recon = {"recon_no_memory": 0.0, "recon_own_memory": 0.0, "recon_other_memory": 0.0}
    recon_seen = 0
    seen = 0
    while seen < args.questions:
        docs, qs = sample_episode(feats, rng, cfg, titles)
        other = wrong_memory(feats, rng, cfg, titles, docs)
        n = len(qs)
        totals["no_memory"] += episode_loss(net, bm.lm, pad_id, feats, docs, qs, use_memory=False).item() * n
        gold_nll, _, selected = episode_losses(net, bm.lm, pad_id, feats, docs, qs)
        totals["gold_memory"] += gold_nll.item() * n
        totals["gold_selected"] += selected.item() * n
        totals["wrong_memory"] += episode_loss(net, bm.lm, pad_id, feats, other, qs).item() * n
        seen += n
        if args.recon:
            cfg.recon_docs = len(docs)
            others = (other * len(docs))[: len(docs)]
            tok = bm.lm_tokenizer
            recon["recon_no_memory"] += reconstruction_loss(net, bm.lm, tok, pad_id, feats, docs, cfg, use_memory=False).item()
            recon["recon_own_memory"] += reconstruction_loss(net, bm.lm, tok, pad_id, feats, docs, cfg).item()
            recon["recon_other_memory"] += reconstruction_loss(net, bm.lm, tok, pad_id, feats, docs, cfg, others).item()
            recon_seen += 1
    result = {k: round(v / seen, 4) for k, v in totals.items()}
    if args.recon:
        result.update({k: round(v / recon_seen, 4) for k, v in recon.items()})
    result.update(questions=seen, memory_size=cfg.docs_per_step, split=args.split, checkpoint=args.checkpoint,
                  step=ck.get("step"))
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
