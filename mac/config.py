"""Dataclass configurations: the networks, the training run, and the named presets."""
from dataclasses import asdict, dataclass, field


@dataclass
class MacConfig:
    # Base models: "smollm2" / "minilm" are the offline defaults, "tiny" builds small random ones,
    # "lm-layer-K" uses the frozen LM's own hidden states after K layers as the encoder (training only),
    # anything else is a path to a local Hugging Face folder.
    lm: str = "smollm2"
    encoder: str = "minilm"
    # Filled from the models when built (never set by hand).
    lm_layers: int = 0
    lm_kv_heads: int = 0
    lm_head_dim: int = 0
    encoder_dim: int = 0
    # Memory: each passage becomes mem_tokens x mod_dim numbers (the reference's T).
    mem_tokens: int = 16
    mod_dim: int = 128
    # Prefix positions per attention layer fed to the frozen LM.
    prefix_len: int = 2
    # Width, heads and depth of the amortizer / aggregator / expander transformers.
    width: int = 256
    heads: int = 8
    amortizer_blocks: int = 2
    aggregator_blocks: int = 4
    expander_blocks: int = 1
    # Documents and questions are truncated to these many encoder tokens.
    max_passage_tokens: int = 256
    max_question_tokens: int = 64
    # Hierarchical aggregation: at most this many memories are fused at once.
    aggregation_window: int = 16
    # Whether the aggregator's queries are conditioned on the pooled question. Off, the question reaches
    # the fused modulation only through the selection scores, so the prefix cannot encode an answer
    # guessed from the question alone: whatever it tells the LM must come from the memories.
    question_queries: bool = True

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class MemoryConfig:
    """A passage's memory: the keys and values of the passage's context turn (one forward pass at ingestion,
    by the LM or, in the default bundle, by the trained memory encoder: mac/train_memory.py), `slots`
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
    # "q8": int8 in groups of 32 values, one fp32 scale per group.
    codec: str = "q8"
    # How many of a question's retrieved memories are concatenated into the prefix the LM reads.
    fused: int = 1

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class TrainConfig:
    name: str = "default"
    out_dir: str = "runs/default"
    data_dir: str = ""              # empty: mac.data.squad_dir()
    train_file: str = "squad-1.1-train.jsonl"
    valid_file: str = "squad-1.1-validation.jsonl"
    seed: int = 1337
    docs_per_step: int = 8          # memory size per step: each question's gold + distractors
    questions_per_doc: int = 2
    same_article_docs: int = 4      # distractors from the gold's own article are the hard ones
    lr: float = 3e-4
    weight_decay: float = 0.01
    warmup_steps: int = 50
    max_steps: int = 1000
    max_minutes: float = 85.0       # wall-clock budget; training stops cleanly when it is spent
    eval_every: int = 100
    eval_questions: int = 200
    checkpoint_every: int = 25
    max_answer_tokens: int = 16
    # Weight of the auxiliary loss: NLL of the gold paragraph under the aggregator's selection.
    selection_weight: float = 1.0
    # Weight of the auxiliary content loss (0: off): NLL of a memory's own paragraph (its first
    # recon_tokens LM tokens) under the frozen LM with that memory alone expanded into the prefix.
    recon_weight: float = 0.0
    recon_docs: int = 1
    recon_tokens: int = 128
    # Weight of the contrastive content loss (0: off): the answer must be at least contrast_margin nats
    # less likely with a memory of other paragraphs than with the episode's own, so the prefix cannot
    # carry only the answer's form, or answers memorised from the question alone.
    contrast_weight: float = 0.0
    contrast_margin: float = 0.5
    # Synthetic cloze questions added to each training paragraph (0: off; see mac/cloze.py).
    cloze_per_paragraph: int = 0
    # Checkpoint whose matching weights start the run (empty: random initialisation).
    init_from: str = ""
    mac: MacConfig = field(default_factory=MacConfig)

    def set_memory_size(self, paragraphs: int):
        """Paragraphs per episode's memory; at most half from the gold's article (one when alone)."""
        self.docs_per_step = paragraphs
        self.same_article_docs = min(self.same_article_docs, paragraphs // 2 or 1)

    def to_dict(self) -> dict:
        return asdict(self)


def preset(name: str) -> TrainConfig:
    if name == "default":
        return TrainConfig()
    if name == "tiny":
        return TrainConfig(
            name="tiny", out_dir="runs/tiny", docs_per_step=4, questions_per_doc=1,
            same_article_docs=2, lr=1e-3, warmup_steps=2, max_steps=12, max_minutes=1.0,
            eval_every=6, eval_questions=8, checkpoint_every=6,
            mac=MacConfig(lm="tiny", encoder="tiny", mem_tokens=4, mod_dim=16, prefix_len=2,
                          width=32, heads=4, amortizer_blocks=1, aggregator_blocks=1,
                          max_passage_tokens=96, max_question_tokens=32, aggregation_window=4),
        )
    raise ValueError(f"unknown preset {name!r}: use 'default' or 'tiny'")
