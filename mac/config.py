"""Dataclass configurations: the bundle's base models and limits, the passage memory, and the named presets."""
from dataclasses import asdict, dataclass


@dataclass
class BundleConfig:
    """The frozen base models a bundle is exported from, and the service's token limits."""
    # "smollm2" / "minilm" are the offline defaults, "tiny" builds small random ones (tests), anything
    # else is a path to a local Hugging Face folder.
    lm: str = "smollm2"
    encoder: str = "minilm"
    # Texts are truncated to these many encoder tokens (retrieval embeddings).
    max_passage_tokens: int = 256
    max_question_tokens: int = 64
    # Filled from the models when built (never set by hand).
    lm_layers: int = 0
    lm_kv_heads: int = 0
    lm_head_dim: int = 0
    encoder_dim: int = 0

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class MemoryConfig:
    """A passage's memory: the keys and values of the passage's context turn (one forward pass at ingestion,
    by the LM or, in the default bundle, by the trained memory encoder: mac/train.py), `slots`
    positions kept per layer, each key/value vector stored in int8. A trained encoder brings its own
    `selection` and `slots` (the ones it was trained for: mac/export.py trained_memory_config)."""
    kind: str = "kv"
    # Which positions a passage keeps (encoder/slots.ts): "salient" = the first token, then tokens that
    # start a capitalised word or hold a digit, in order (names, dates and numbers are what SQuAD answers
    # are made of); "words" = every token of such words (chosen: answer NLL gap 0.69 vs 0.61 nats, 64
    # validation questions, `npm run eval:gap`); "uniform" = evenly spaced (the control).
    selection: str = "words"
    slots: int = 32                 # without a trained encoder; the default bundle's encoder keeps 64
    # Where the kept keys sit once memories are concatenated: "relative" keeps each key's distance to the
    # end of its own passage; "compact" renumbers the kept slots 0..slots-1.
    placement: str = "relative"
    # How the service stores memories (memory/codec.ts): "q4" = 4-bit codes in groups of 32 values with an
    # fp16 minimum and step per group (454,772 B per passage; the same F1 as "q8" on 500 validation
    # questions in mac and hybrid: results/README.md); "q8" = int8, one fp32 scale per group (808,704 B).
    codec: str = "q4"
    # How many of a question's retrieved memories are concatenated into the prefix the LM reads.
    fused: int = 1

    def to_dict(self) -> dict:
        return asdict(self)


def preset(name: str) -> BundleConfig:
    if name == "default":
        return BundleConfig()
    if name == "tiny":
        return BundleConfig(lm="tiny", encoder="tiny", max_passage_tokens=96, max_question_tokens=32)
    raise ValueError(f"unknown preset {name!r}: use 'default' or 'tiny'")
