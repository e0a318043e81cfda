"""Synthetic cloze questions on training paragraphs: more questions whose answers only the memory holds.

A sentence of the paragraph with one answer-like span (a number, a year, a capitalised name) replaced by
a question word becomes a question, and the span its answer: "The Broncos defeated the Panthers in 2016."
-> "The Broncos defeated the Panthers in when?" / "2016". The questions read badly, but the answer is
in the paragraph and rarely guessable from the question alone, so they train the memory's content path.
Used only for training paragraphs (TrainConfig.cloze_per_paragraph); never for validation.
"""
import random
import re

from .data import Paragraph, Question

_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"'])")
_YEAR = re.compile(r"\b(1[0-9]{3}|20[0-9]{2})\b")
_NUMBER = re.compile(r"\b\d[\d,.]*\b")
# Two or more capitalised words (optionally joined by of/the/and), or one not starting the sentence.
_NAME = re.compile(r"\b[A-Z][\w'-]+(?:\s+(?:(?:of|the|and|de)\s+)?[A-Z][\w'-]+)*")
_ARTICLE = re.compile(r"(?:(?:The|A|An)\s+)?")
MAX_SENTENCE_WORDS = 40


def _spans(sentence: str) -> list[tuple[int, int, str]]:
    """(start, end, question word) for every answer-like span of a sentence."""
    spans = [(m.start(), m.end(), "when") for m in _YEAR.finditer(sentence)]
    taken = {i for s, e, _ in spans for i in range(s, e)}
    spans += [(m.start(), m.end(), "how many") for m in _NUMBER.finditer(sentence) if m.start() not in taken]
    for m in _NAME.finditer(sentence):
        start = m.start() + len(_ARTICLE.match(m.group()).group())  # "The Denver Broncos": the name only
        if start == m.end() or (m.start() == 0 and " " not in m.group()):
            continue  # a lone capitalised first word is usually just the start of the sentence
        spans.append((start, m.end(), "what"))
    return spans


def cloze_questions(paragraph: Paragraph, k: int, rng: random.Random) -> list[Question]:
    """Up to `k` distinct cloze questions on one paragraph, ids `<paragraph id>#cloze<i>`."""
    candidates = []
    for sentence in _SENTENCE.split(paragraph.context):
        sentence = sentence.strip()
        if len(sentence.split()) > MAX_SENTENCE_WORDS:
            continue
        for start, end, word in _spans(sentence):
            question = (sentence[:start] + word + sentence[end:]).rstrip(" .!?") + "?"
            candidates.append((question, sentence[start:end].strip()))
    picked = rng.sample(candidates, min(k, len(candidates)))
    return [Question(f"{paragraph.id}#cloze{i}", q, [a]) for i, (q, a) in enumerate(picked)]


def with_cloze(paragraphs: list[Paragraph], k: int, seed: int) -> list[Paragraph]:
    """The paragraphs with up to `k` cloze questions added to each one's own questions."""
    rng = random.Random(seed)
    return [Paragraph(p.id, p.title, p.context, p.questions + cloze_questions(p, k, rng)) for p in paragraphs]
