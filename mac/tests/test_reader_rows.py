import random

from mac.reader import batches, without_answer_sentence

PARAGRAPH = "The tower opened in 1889. It was built by Gustave Eiffel's company. Its height is 330 metres."


def test_removes_the_sentence_that_holds_the_answer():
    start = PARAGRAPH.index("Gustave")
    assert without_answer_sentence(PARAGRAPH, start, ["Gustave Eiffel's company"]) == "The tower opened in 1889. Its height is 330 metres."


def test_declines_where_the_answer_is_still_in_the_rest():
    text = "The tower opened in 1889. In 1889 it was the tallest."
    assert without_answer_sentence(text, text.index("1889"), ["1889"]) is None


def test_a_one_sentence_paragraph_leaves_nothing():
    assert without_answer_sentence("Only 1889.", 5, ["1889"]) is None


def test_batches_grouped_by_length_read_every_row_once_in_batches_of_like_length():
    rng = random.Random(0)
    rows = [("q" * rng.randint(5, 20), "c" * rng.randint(50, 1500), -1, -1) for _ in range(2000)]
    grouped = batches(rows, 16, group_by_length=True, seed=3)
    assert sorted(map(id, (r for b in grouped for r in b))) == sorted(map(id, rows))
    assert batches(rows, 16, group_by_length=True, seed=3) == grouped  # a resumed run reads the same batches
    size = lambda r: len(r[0]) + len(r[1])
    spread = lambda bs: sum(max(map(size, b)) - min(map(size, b)) for b in bs) / len(bs)
    assert spread(grouped) < spread(batches(rows, 16, group_by_length=False, seed=3)) / 10
