"""Training the reader to choose among passages (mac/reader.py `train --passages K`).

The service reads a question's best retrieved passages and answers from the one whose best span beats its own
"no answer" score by most (answer/answerer.ts `choosePassages`: the span's gap). A reader trained one paragraph
at a time never compares two passages, so gaps from different passages need not be on one scale. Here each
training item is a group: a question, its paragraph and the K - 1 paragraphs of its article that a keyword
search ranks first among those not holding its answer (the service's FTS5 in miniature). One softmax runs over
every context token of the group, each scored relative to its own passage's [CLS], plus one shared "no answer"
at 0: exactly the gaps the service compares. With K = 1 it is the usual single-paragraph loss.
"""
import math
import random
import re
from collections import Counter

WORD = re.compile(r"\w+")


class KeywordRanking:
    """BM25 over one article's paragraphs: the paragraph a question's words point to is the wrong passage the
    service most often hands the reader."""

    def __init__(self, contexts: list[str], k1: float = 1.2, b: float = 0.75):
        self.words = [Counter(WORD.findall(c.lower())) for c in contexts]
        lengths = [sum(w.values()) for w in self.words]
        mean_length = sum(lengths) / len(lengths)
        df = Counter(word for w in self.words for word in w)
        n = len(contexts)
        self.idf = {word: math.log((n - f + 0.5) / (f + 0.5) + 1) for word, f in df.items()}
        self.saturation = [k1 * (1 - b + b * length / mean_length) for length in lengths]
        self.k1 = k1

    def scores(self, question: str) -> list[float]:
        asked = set(WORD.findall(question.lower()))
        return [sum(self.idf[q] * w[q] * (self.k1 + 1) / (w[q] + sat) for q in asked if q in w)
                for w, sat in zip(self.words, self.saturation)]


def passage_groups(paragraphs: list[dict], k: int, seed: int = 0, deleted_share: float = 0.0, absent_share: float = 0.0,
                   without_answer_sentence=None):
    """One group per question: (question, contexts, gold index, answer start, answer end), gold index -1 for "no
    answer". The question's paragraph sits among its article's k - 1 keyword-nearest paragraphs without its answer
    (in a random place); with `deleted_share` it is replaced by itself without the answer's sentence, with
    `absent_share` by the next keyword-nearest paragraph, both labelled no answer."""
    by_title: dict[str, list] = {}
    for p in paragraphs:
        by_title.setdefault(p["title"], []).append(p)
    rankings = {t: KeywordRanking([p["context"] for p in ps]) for t, ps in by_title.items()}
    rng, groups = random.Random(seed), []
    for p in paragraphs:
        article = by_title[p["title"]]
        for q in p["qas"]:
            start = p["context"].find(q["answers"][0])
            if start < 0:
                continue
            end = start + len(q["answers"][0])
            scores = rankings[p["title"]].scores(q["question"])
            others = sorted((i for i, o in enumerate(article) if o["id"] != p["id"] and not any(a in o["context"] for a in q["answers"])),
                            key=lambda i: -scores[i])
            if len(others) < k:
                continue
            contexts = [article[i]["context"] for i in others[:k - 1]]
            gold, own = rng.randrange(k), (p["context"], start, end)
            draw = rng.random()
            if draw < deleted_share and without_answer_sentence and (rest := without_answer_sentence(p["context"], start, q["answers"])):
                own, gold = (rest, -1, -1), -1
            elif draw >= 1 - absent_share:
                own, gold = (article[others[k - 1]]["context"], -1, -1), -1
            contexts.insert(gold if gold >= 0 else rng.randrange(k), own[0])
            groups.append((q["question"], contexts, gold, own[1], own[2]))
    rng.shuffle(groups)
    return groups


def encode_groups(tok, groups, max_len: int):
    """Every group's passages as rows of one batch (group g's passage j is row g * K + j), each row's answer token
    span (0 where the row holds no answer or truncation cut it), and which tokens are context."""
    import torch
    from .reader import encode_batch
    rows = [(question, context, *(span if j == gold else (-1, -1)))
            for question, contexts, gold, *span in groups for j, context in enumerate(contexts)]
    enc, starts, ends = encode_batch(tok, rows, max_len)
    context = torch.tensor([[s == 1 for s in enc.sequence_ids(i)] for i in range(len(rows))])
    context[torch.arange(len(rows)), enc["attention_mask"].sum(1) - 1] = False  # the closing [SEP]
    return enc, starts, ends, context


def shared_loss(start_logits, end_logits, starts, ends, context, k: int):
    """Cross-entropy of the group's answer (its start, then its end) in one softmax over the gaps of every
    context token of the group's k passages (logit minus its passage's [CLS]) and a shared "no answer" at 0."""
    import torch
    rows, length = start_logits.shape
    groups = rows // k
    # A row's answer token, or -1: the group's target is the row holding its answer, or the shared no answer.
    def loss(logits, tokens):
        gaps = (logits - logits[:, :1]).masked_fill(~context, -1e4).view(groups, k * length)
        scores = torch.cat([gaps.new_zeros(groups, 1), gaps], 1)
        where = torch.where(tokens > 0, torch.arange(rows, device=tokens.device) % k * length + tokens + 1, 0).view(groups, k)
        return torch.nn.functional.cross_entropy(scores.float(), where.max(1).values)
    return (loss(start_logits, starts) + loss(end_logits, ends)) / 2
