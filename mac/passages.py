"""Splits a document into passages that fit the encoder; the TypeScript service implements the same rule.

The rule, exactly:
1. Sentences: split the text with the regex `(?<=[.!?])\\s+`, strip each piece, drop empty ones.
2. Budget: `max_tokens - 2` encoder tokens (counted without special tokens), leaving room for [CLS]/[SEP].
3. A sentence over the budget is replaced by word chunks: its whitespace-separated words, greedily
   joined by single spaces while the chunk's count stays within the budget. A single word over the
   budget becomes a chunk of its own (the encoder truncates it).
4. Pieces (sentences and word chunks, in order) are greedily joined by single spaces into the current
   passage while its count stays within the budget; otherwise the current passage is closed and the
   piece starts the next one.

Counts are always taken on the joined string, never summed, because tokens can merge across a join.
"""
import re
from typing import Callable

SENTENCE_BREAK = re.compile(r"(?<=[.!?])\s+")


def _pack(pieces: list[str], count_tokens: Callable[[str], int], budget: int) -> list[str]:
    """Greedy: join pieces with single spaces while the joined count stays within the budget."""
    out: list[str] = []
    current = ""
    for piece in pieces:
        candidate = f"{current} {piece}" if current else piece
        if not current or count_tokens(candidate) <= budget:
            current = candidate
        else:
            out.append(current)
            current = piece
    if current:
        out.append(current)
    return out


def split_passages(text: str, count_tokens: Callable[[str], int], max_tokens: int) -> list[str]:
    budget = max_tokens - 2
    assert budget > 0, f"max_tokens {max_tokens} leaves no room after [CLS]/[SEP]"
    sentences = [s.strip() for s in SENTENCE_BREAK.split(text) if s.strip()]
    pieces: list[str] = []
    for sentence in sentences:
        if count_tokens(sentence) <= budget:
            pieces.append(sentence)
        else:
            pieces += _pack(sentence.split(), count_tokens, budget)
    return _pack(pieces, count_tokens, budget)
