from mac.reader import without_answer_sentence

PARAGRAPH = "The tower opened in 1889. It was built by Gustave Eiffel's company. Its height is 330 metres."


def test_removes_the_sentence_that_holds_the_answer():
    start = PARAGRAPH.index("Gustave")
    assert without_answer_sentence(PARAGRAPH, start, ["Gustave Eiffel's company"]) == "The tower opened in 1889. Its height is 330 metres."


def test_declines_where_the_answer_is_still_in_the_rest():
    text = "The tower opened in 1889. In 1889 it was the tallest."
    assert without_answer_sentence(text, text.index("1889"), ["1889"]) is None


def test_a_one_sentence_paragraph_leaves_nothing():
    assert without_answer_sentence("Only 1889.", 5, ["1889"]) is None
