"""SQuAD answer metrics: the official v1.1 normalization, exact match and token F1 (best over golds).

`prefix_exact_match` is NOT the standard metric: it is the MAC reference's EM, which only compares the
prediction's first len(gold) characters (after normalization). It forgives a correct answer followed by
extra words, so it reads higher than standard EM; report it next to standard EM, never instead of it.
"""
import re
import string
from collections import Counter

_PUNCTUATION = set(string.punctuation)


def normalize_answer(text: str) -> str:
    """Lowercase, drop punctuation, drop the articles a/an/the, collapse whitespace (SQuAD v1.1 order)."""
    text = "".join(ch for ch in text.lower() if ch not in _PUNCTUATION)
    text = re.sub(r"\b(a|an|the)\b", " ", text)
    return " ".join(text.split())


def _token_f1(prediction: str, gold: str) -> float:
    pred_tokens = normalize_answer(prediction).split()
    gold_tokens = normalize_answer(gold).split()
    same = sum((Counter(pred_tokens) & Counter(gold_tokens)).values())
    if same == 0:
        return 0.0
    precision, recall = same / len(pred_tokens), same / len(gold_tokens)
    return 2 * precision * recall / (precision + recall)


def exact_match(prediction: str, golds: list[str]) -> float:
    assert golds, "no gold answers: unanswerable questions are not scored"
    pred = normalize_answer(prediction)
    return float(any(pred == normalize_answer(g) for g in golds))


def f1(prediction: str, golds: list[str]) -> float:
    assert golds, "no gold answers: unanswerable questions are not scored"
    return max(_token_f1(prediction, g) for g in golds)


def prefix_exact_match(prediction: str, golds: list[str]) -> float:
    """Non-standard (MAC reference): normalized prediction truncated to the normalized gold's length."""
    assert golds, "no gold answers: unanswerable questions are not scored"
    pred = normalize_answer(prediction)
    return float(any(pred[: len(gold)] == gold for gold in map(normalize_answer, golds)))
