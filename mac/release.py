"""Slims a training checkpoint into the weights file committed to the repository (fp16, no optimizer).

    python -m mac.release --checkpoint runs/default/best.pt --out weights/mac-smollm2.pt
"""
import argparse
from pathlib import Path

import torch

KEEP = ("config", "step", "elapsed", "valid_loss", "best_valid", "lm_provenance", "encoder_provenance")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--checkpoint", type=Path, required=True)
    ap.add_argument("--out", type=Path, required=True)
    args = ap.parse_args()
    ck = torch.load(args.checkpoint, weights_only=False, map_location="cpu")
    slim = {k: ck[k] for k in KEEP if k in ck}
    slim["model"] = {k: v.half() for k, v in ck["model"].items()}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    torch.save(slim, args.out)
    mb = args.out.stat().st_size / 1e6
    assert mb < 50, f"{args.out} is {mb:.1f} MB: the repository takes no file over 50 MB"
    print(f"{args.out}: {mb:.1f} MB, step {ck.get('step')}, valid answer NLL {ck.get('valid_loss')}")


if __name__ == "__main__":
    main()
