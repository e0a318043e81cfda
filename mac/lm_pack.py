"""The default LM's weights in their GGUF size (4-bit Q4_1 layers, 8-bit Q8_0 embeddings), split into parts.

Training on a lent accelerator machine needs the LM there, and what travels to it is limited in size: the
fp32 weights (538 MB) do not fit, their GGUF grids (97 MB) do in two parts. Packing and unpacking are exact:
every weight is recovered bit for bit (mac/gguf_grid.py finds the grid from the fp32 weights).

    scripts/python.sh -m mac.lm_pack pack OUT_DIR      # OUT_DIR/lm-part-{0,1}.pt + config.json + tokenizer.json
"""
import json
import shutil
import sys
from pathlib import Path

import numpy as np
import torch

from .gguf_grid import q4_1_grid, q8_0_grid


def _pack_tensor(w: torch.Tensor):
    """fp32 weight [out, in] -> the smallest exact record of it."""
    a = w.float().numpy()
    if a.ndim == 2:
        grid = q4_1_grid(np.ascontiguousarray(a.T))          # blocks of 32 along the input dimension
        if grid is not None:
            q, d, m = grid                                   # q [out, in/32, 32]
            packed = q[..., 0::2] | (q[..., 1::2] << 4)
            return {"kind": "q4_1", "q": torch.from_numpy(packed), "d": torch.from_numpy(d.astype(np.float16)),
                    "m": torch.from_numpy(m.astype(np.float16))}
        grid = q8_0_grid(np.ascontiguousarray(a.T))
        if grid is not None:
            q, d = grid
            return {"kind": "q8_0", "q": torch.from_numpy(q), "d": torch.from_numpy(d.astype(np.float16))}
    return {"kind": "f32", "w": w.float().clone()}


def _unpack_tensor(rec: dict, device="cpu") -> torch.Tensor:
    if rec["kind"] == "f32":
        return rec["w"].to(device)
    d = rec["d"].to(device).float()[..., None]
    if rec["kind"] == "q8_0":
        w = rec["q"].to(device).float() * d
    else:
        packed = rec["q"].to(device)
        q = torch.stack([packed & 15, packed >> 4], -1).flatten(-2).float()
        w = q * d + rec["m"].to(device).float()[..., None]
    return w.flatten(-2)                                     # [out, in]


def pack(state: dict[str, torch.Tensor], out_dir: Path, parts: int = 2) -> list[Path]:
    records = {k: _pack_tensor(v) for k, v in state.items() if k != "lm_head.weight"}
    size = lambda r: sum(t.numel() * t.element_size() for t in r.values() if isinstance(t, torch.Tensor))
    total, budget, chunks = sum(size(r) for r in records.values()), None, [{}]
    budget = total / parts
    for k, r in records.items():
        if chunks[-1] and sum(size(x) for x in chunks[-1].values()) + size(r) > budget * 1.02 and len(chunks) < parts:
            chunks.append({})
        chunks[-1][k] = r
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for i, chunk in enumerate(chunks):
        paths.append(out_dir / f"lm-part-{i}.pt")
        torch.save(chunk, paths[-1])
    return paths


def unpack(paths: list[Path], device="cpu") -> dict[str, torch.Tensor]:
    state = {}
    for p in paths:
        for k, rec in torch.load(p, weights_only=True).items():
            state[k] = _unpack_tensor(rec, device)
    return state


def main(argv: list[str]):
    assert len(argv) == 2 and argv[0] == "pack", "usage: python -m mac.lm_pack pack OUT_DIR"
    from safetensors.torch import load_file
    from .base_models import resolve_lm
    from .build import CACHE_DIR
    folder, _ = resolve_lm("smollm2", CACHE_DIR)
    state = load_file(folder / "model.safetensors")
    out = Path(argv[1])
    paths = pack(state, out)
    back = unpack(paths)
    for k, v in back.items():
        assert torch.equal(v, state[k].float()), f"{k} did not round-trip exactly"
    shutil.copy(folder / "config.json", out / "config.json")
    shutil.copy(folder / "tokenizer.json", out / "tokenizer.json")
    print(json.dumps({p.name: p.stat().st_size for p in paths}))


if __name__ == "__main__":
    main(sys.argv[1:])
