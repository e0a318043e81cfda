import json

from mac.passages import split_passages


def words(text: str) -> int:
    return len(text.split())


def test_short_text_is_one_passage():
    text = "One two three. Four five!  Six?"
    assert split_passages(text, words, 20) == ["One two three. Four five! Six?"]


def test_sentences_pack_greedily_within_budget():
    text = "a b c. d e f. g h i. j k."
    # budget 8 - 2 = 6 words: two sentences fit, a third does not
    assert split_passages(text, words, 8) == ["a b c. d e f.", "g h i. j k."]


def test_long_sentence_becomes_word_chunks():
    text = "Short one. " + " ".join(f"w{i}" for i in range(10)) + "."
    passages = split_passages(text, words, 6)   # budget 4
    assert all(words(p) <= 4 for p in passages), passages
    assert " ".join(passages).split() == text.split()


def test_word_over_budget_stands_alone_and_empty_text_gives_nothing():
    assert split_passages("tiny " + "x" * 50, len, 10) == ["tiny", "x" * 50]
    assert split_passages("  \n ", words, 10) == []


def test_real_paragraphs_fit_the_encoder(tiny_bundle, squad_validation):
    budget = tiny_bundle.max_passage_tokens - 2
    with open(squad_validation) as f:
        contexts = [json.loads(next(f))["context"] for _ in range(5)]
    for context in contexts:
        passages = split_passages(context, tiny_bundle.count_encoder_tokens, tiny_bundle.max_passage_tokens)
        assert " ".join(passages).split() == context.split(), "splitting must lose no words"
        for p in passages:
            assert tiny_bundle.count_encoder_tokens(p) <= budget or len(p.split()) == 1, p


def test_oversized_sentence_closes_the_open_passage_first():
    # same as encoder/passages.ts: the word chunks never join the passage before them
    assert split_passages("x. y " + "z" * 20 + ".", len, 12) == ["x.", "y", "z" * 20 + "."]
