"""Token-level data for training the memory encoder: each paragraph's context turn and kept slots, each
question's prompt tail and answer, all tokenized exactly as the service does (tokenizer.json, no specials).
"""
import random
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from .data import read_jsonl
from .prompt import ANSWER_SUFFIX, CONTEXT, FORM, QUESTION_TURN

CONTEXT_HEADER = CONTEXT[: CONTEXT.index("{passages}")]


# ----------------------------------------------------------------------------- slot selection (encoder/slots.ts)

def _is_letter_or_number(ch: str) -> bool:
    return unicodedata.category(ch)[0] in "LN"


def _has_digit(text: str) -> bool:
    return any("0" <= c <= "9" for c in text)


def _is_salient(text: str, previous: str) -> bool:
    if _has_digit(text):
        return True
    starts_word = text[:1].isspace() or not (previous and _is_letter_or_number(previous[-1]))
    stripped = text.lstrip()
    return starts_word and bool(stripped) and unicodedata.category(stripped[0]) == "Lu"


def _salient_words(texts: list[str]) -> list[bool]:
    out = [False] * len(texts)
    start = 0

    def close(end: int):
        first = _is_salient(texts[start], texts[start - 1]) if start > 0 else False
        if first or any(_has_digit(t) for t in texts[start:end]):
            for i in range(max(start, 1), end):
                out[i] = True

    for i in range(1, len(texts)):
        prev, cur = texts[i - 1], texts[i]
        boundary = (cur[:1].isspace() or not (prev and _is_letter_or_number(prev[-1]))
                    or not (cur and _is_letter_or_number(cur[0])))
        if boundary:
            close(i)
            start = i
    close(len(texts))
    return out


def select_slots(texts: list[str], selection: str, slots: int, first_passage_token: int = 1) -> list[int]:
    """The positions a memory keeps, in order: the Python twin of encoder/slots.ts selectSlots."""
    n = len(texts)
    want = min(slots, n)
    if want == n:
        return list(range(n))
    if selection == "uniform":
        return [round(j * (n - 1) / max(want - 1, 1)) for j in range(want)]
    if selection == "words":
        salient = _salient_words(texts)
    elif selection == "salient":
        salient = [i > 0 and _is_salient(t, texts[i - 1]) for i, t in enumerate(texts)]
    else:
        raise ValueError(f"unknown selection {selection!r}")
    keep = [0]
    for i in range(max(first_passage_token, 1), n):
        if len(keep) >= want:
            break
        if salient[i]:
            keep.append(i)
    i = n - 1
    while len(keep) < want:
        if i not in keep:
            keep.append(i)
        i -= 1
    return sorted(keep)


# ----------------------------------------------------------------------------- tokenized examples

@dataclass
class Passage:
    ids: list[int]       # the context turn
    slots: list[int]     # kept positions
    title: str


@dataclass
class Example:
    passage: int         # index into passages
    prompt: list[int]    # answer form + the question's turn (what follows the memory)
    answer: list[int]    # the answer's tokens + the end-of-turn token


class Tokens:
    """tokenizer.json through the `tokenizers` library; per-token text decoded once per id (as slots.ts sees it)."""

    def __init__(self, path: Path):
        from tokenizers import Tokenizer
        self.tok = Tokenizer.from_file(str(path))
        self._texts: dict[int, str] = {}
        self.header = len(self.encode(CONTEXT_HEADER))

    def encode(self, text: str) -> list[int]:
        return self.tok.encode(text, add_special_tokens=False).ids

    def encode_batch(self, texts: list[str]) -> list[list[int]]:
        return [e.ids for e in self.tok.encode_batch(texts, add_special_tokens=False)]

    def text(self, i: int) -> str:
        if i not in self._texts:
            self._texts[i] = self.tok.decode([i], skip_special_tokens=True)   # as bundle/tokenizer.ts decodes
        return self._texts[i]


def load(path: Path, tokens: Tokens, selection: str, slots: int, max_context_tokens: int,
         max_answer_tokens: int, limit_questions: int = 0) -> tuple[list[Passage], list[Example]]:
    """Paragraphs longer than max_context_tokens (context turn) are skipped, as are answers longer than
    max_answer_tokens; the first answer of each question is the target."""
    rows = read_jsonl(path)
    contexts = tokens.encode_batch([CONTEXT.format(passages=r["context"]) for r in rows])
    passages, examples, questions, owners = [], [], [], []
    for r, ids in zip(rows, contexts):
        if len(ids) > max_context_tokens:
            continue
        slots_kept = select_slots([tokens.text(i) for i in ids], selection, slots, tokens.header)
        passages.append(Passage(ids, slots_kept, r.get("title", "")))
        for q in r["qas"]:
            if q.get("answers"):
                questions.append((q["question"].strip(), q["answers"][0].strip()))
                owners.append(len(passages) - 1)
    if limit_questions:
        questions, owners = questions[:limit_questions], owners[:limit_questions]
    prompts = tokens.encode_batch([FORM + QUESTION_TURN.format(question=q) for q, _ in questions])
    answers = tokens.encode_batch([a + ANSWER_SUFFIX for _, a in questions])
    for owner, prompt, answer in zip(owners, prompts, answers):
        if 1 < len(answer) <= max_answer_tokens + 1:
            examples.append(Example(owner, prompt, answer))
    return passages, examples


def probe_set(passages: list[Passage], examples: list[Example], n: int, memories: int, seed: int):
    """n examples, one per paragraph, each with a wrong paragraph (another article) and 7 distractors."""
    rng = random.Random(seed)
    seen, chosen = set(), []
    for e in examples:
        if e.passage not in seen:
            seen.add(e.passage)
            chosen.append(e)
        if len(chosen) == n:
            break
    out = []
    for e in chosen:
        others = [p for p in range(len(passages)) if passages[p].title != passages[e.passage].title]
        picks = rng.sample(others, memories)
        out.append(dict(example=e, wrong=picks[0], distractors=picks[1:memories], slot=rng.randrange(memories),
                        wrong_set=picks[:memories]))
    return out
