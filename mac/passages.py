"""Splits a document into passages that fit the encoder; encoder/passages.ts implements the same rule.

The rule, exactly:
1. Sentences: split the text with the regex `(?<=[.!?])\\s+`, strip each piece, drop empty ones.
2. Budget: `max_tokens - 2` encoder tokens (counted without special tokens), leaving room for [CLS]/[SEP].
3. Each sentence is appended to the open passage (joined by one space) if the result fits the budget.
   Otherwise the open passage is closed; the sentence starts the next passage if it fits alone, and if
   not, its whitespace-separated words are appended one at a time the same way (a word that does not fit
   closes the passage and starts the next; a single word over the budget is a passage of its own, which
   the encoder truncates). The last word chunk stays open, so the following sentences may join it.

Counts are always taken on the joined string, never summed, because tokens can merge across a join.
"""
import re
from typing import Callable

SENTENCE_BREAK = re.compile(r"(?<=[.!?])\s+")


def split_passages(text: str, count_tokens: Callable[[str], int], max_tokens: int) -> list[str]:
    budget = max_tokens - 2
    assert budget > 0, f"max_tokens {max_tokens} leaves no room after [CLS]/[SEP]"
    passages: list[str] = []
    current = ""
    for sentence in (s.strip() for s in SENTENCE_BREAK.split(text)):
        if not sentence:
            continue
        candidate = f"{current} {sentence}" if current else sentence
        if count_tokens(candidate) <= budget:
            current = candidate
            continue
        if current:
            passages.append(current)
        if count_tokens(sentence) <= budget:
            current = sentence
            continue
        current = ""
        for word in sentence.split():
            with_word = f"{current} {word}" if current else word
            if not current or count_tokens(with_word) <= budget:
                current = with_word
            else:
                passages.append(current)
                current = word
    if current:
        passages.append(current)
    return passages
