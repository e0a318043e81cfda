import torch

from mac.config import MacConfig
from mac.model import Aggregator


def _config(question_queries: bool) -> MacConfig:
    return MacConfig(lm="tiny", encoder="tiny", lm_layers=2, lm_kv_heads=1, lm_head_dim=4, encoder_dim=8,
                     mem_tokens=3, mod_dim=4, width=8, heads=2, aggregator_blocks=1,
                     question_queries=question_queries)


def _fuse(agg: Aggregator, question: torch.Tensor, memories: torch.Tensor) -> torch.Tensor:
    return agg(question, torch.ones(1, question.shape[1]), memories, torch.ones(1, memories.shape[1]))


def test_question_blind_queries_ignore_the_question_given_one_memory():
    torch.manual_seed(0)
    agg = Aggregator(_config(question_queries=False))
    memories = torch.randn(1, 1, 3, 4)
    a, b = _fuse(agg, torch.randn(1, 5, 8), memories), _fuse(agg, torch.randn(1, 5, 8), memories)
    assert torch.allclose(a, b, atol=1e-6)
    assert not torch.allclose(a, _fuse(agg, torch.randn(1, 5, 8), torch.randn(1, 1, 3, 4)))


def test_question_conditioned_queries_see_the_question():
    torch.manual_seed(0)
    agg = Aggregator(_config(question_queries=True))
    memories = torch.randn(1, 1, 3, 4)
    assert not torch.allclose(_fuse(agg, torch.randn(1, 5, 8), memories), _fuse(agg, torch.randn(1, 5, 8), memories))
