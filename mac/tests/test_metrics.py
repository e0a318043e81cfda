import pytest

from mac.metrics import exact_match, f1, normalize_answer, prefix_exact_match


def test_normalize_follows_squad_v11():
    assert normalize_answer("  The  Walt-Disney, Company!") == "waltdisney company"
    assert normalize_answer("An apple a day") == "apple day"
    assert normalize_answer("theatre") == "theatre"   # articles only as whole words


def test_exact_match_is_best_over_golds():
    assert exact_match("the Eiffel Tower.", ["Big Ben", "Eiffel tower"]) == 1.0
    assert exact_match("Eiffel Tower in Paris", ["Eiffel Tower"]) == 0.0


def test_f1_token_overlap():
    # prediction tokens {cat, sat}, gold {cat, sat, on, mat}: precision 1, recall 1/2
    assert f1("the cat sat", ["cat sat on the mat"]) == pytest.approx(2 / 3)
    assert f1("dog", ["cat"]) == 0.0
    assert f1("dog", ["cat", "a dog"]) == 1.0


def test_prefix_exact_match_is_the_lenient_reference_variant():
    assert prefix_exact_match("Eiffel Tower in Paris", ["Eiffel Tower"]) == 1.0
    assert exact_match("Eiffel Tower in Paris", ["Eiffel Tower"]) == 0.0
    assert prefix_exact_match("Eiffel", ["Eiffel Tower"]) == 0.0


def test_unanswerable_questions_are_refused():
    with pytest.raises(AssertionError, match="no gold answers"):
        f1("anything", [])
