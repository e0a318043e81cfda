import random

from mac.cloze import cloze_questions, with_cloze
from mac.data import Paragraph, Question

TEXT = ("Super Bowl 50 was played on February 7, 2016, at Levi's Stadium. "
        "The Denver Broncos defeated the Carolina Panthers 24 to 10.")


def test_every_cloze_answer_is_a_span_of_the_paragraph_and_missing_from_its_question():
    p = Paragraph("p1", "t", TEXT, [])
    questions = cloze_questions(p, 20, random.Random(0))
    assert len(questions) >= 5
    for q in questions:
        assert q.answers[0] in TEXT
        assert q.text.endswith("?")
        assert q.answers[0] not in q.text or q.answers[0] in ("10", "50")  # short numbers may recur
    assert {"2016", "Denver Broncos", "Carolina Panthers"} <= {q.answers[0] for q in questions}
    assert any(q.text.startswith("Super Bowl 50 was played on February 7, when") for q in questions)


def test_with_cloze_keeps_the_real_questions_first_and_is_deterministic():
    real = Question("q", "Who won?", ["Denver Broncos"])
    a = with_cloze([Paragraph("p1", "t", TEXT, [real])], 3, seed=1)
    b = with_cloze([Paragraph("p1", "t", TEXT, [real])], 3, seed=1)
    assert a[0].questions[0] == real and len(a[0].questions) == 4
    assert [q.text for q in a[0].questions] == [q.text for q in b[0].questions]
