import torch

from mac.reader import without_answer_sentence
from mac.reader_choice import passage_groups, shared_loss

ARTICLE = [
    {"id": "a", "title": "Tower", "context": "The tower opened in 1889. It was built by Gustave Eiffel's company.",
     "qas": [{"question": "Who built the tower?", "answers": ["Gustave Eiffel's company"]}]},
    {"id": "b", "title": "Tower", "context": "The tower was built of iron and painted brown.", "qas": []},
    {"id": "c", "title": "Tower", "context": "Paris hosted a fair.", "qas": []},
]


def test_a_group_holds_the_paragraph_and_the_keyword_nearest_other():
    [(question, contexts, gold, start, end)] = passage_groups(ARTICLE, 2)
    assert question == "Who built the tower?"
    assert sorted(contexts) == sorted([ARTICLE[0]["context"], ARTICLE[1]["context"]])
    assert contexts[gold][start:end] == "Gustave Eiffel's company"


def test_groups_without_the_answer_are_labelled_no_answer():
    [(_, deleted, gold, start, _)] = passage_groups(ARTICLE, 2, deleted_share=1.0, without_answer_sentence=without_answer_sentence)
    assert (gold, start) == (-1, -1) and "The tower opened in 1889." in deleted
    [(_, absent, gold, _, _)] = passage_groups(ARTICLE, 2, absent_share=1.0)
    assert gold == -1 and sorted(absent) == sorted([ARTICLE[1]["context"], ARTICLE[2]["context"]])


def test_one_passage_is_the_usual_loss_over_its_context_and_cls():
    logits = torch.randn(1, 6)
    context = torch.tensor([[False, False, True, True, True, False]])
    target = torch.tensor([3])
    expected = torch.nn.functional.cross_entropy(logits[:, [0, 2, 3, 4]], torch.tensor([2]))
    assert torch.allclose(shared_loss(logits, logits, target, target, context, 1), expected)


def test_the_answer_competes_with_the_other_passage_gaps():
    # Two passages of one group; the answer is token 2 of the second. Its gap leads only if the first
    # passage's tokens score low against their own [CLS].
    context = torch.tensor([[False, True, True], [False, True, True]])
    starts = torch.tensor([0, 2])
    right = torch.tensor([[0.0, -5, -5], [0, -5, 5]])
    wrong = torch.tensor([[0.0, 5, 5], [0, -5, 5]])
    assert shared_loss(right, right, starts, starts, context, 2) < 0.05 < shared_loss(wrong, wrong, starts, starts, context, 2)
    # Shifting a passage's logits together leaves its gaps, and so the loss, unchanged.
    assert torch.allclose(shared_loss(wrong + torch.tensor([[3.0], [-2.0]]), wrong, starts, starts, context, 2), shared_loss(wrong, wrong, starts, starts, context, 2))
