"""engine/np2016/sampling.py and the soft-training schedules of TrainConfig: each draw from the run's own generator, the
curriculum pool, the Gumbel perturbation and the temperature schedule."""

import pytest
import torch

from engine.np2016.config import TrainConfig
from engine.np2016.data import tasks as data
from engine.np2016.sampling import add_gradient_noise, draw_indices, gumbel, long_program_pool


def test_long_program_pool_holds_exactly_the_two_filter_and_difference_questions():
    examples = data.generate("single-column", "train", 400, 0)
    pool = set(long_program_pool(examples).tolist())
    for i, ex in enumerate(examples):
        words = ex["program"].split()
        assert (i in pool) == ("and" in words or "or" in words or "diff" in words), ex["program"]
    assert 0 < len(pool) < len(examples)


def test_draw_indices_stays_in_the_pool_and_is_reproducible():
    pool = torch.tensor([3, 7, 11])
    a = draw_indices(100, pool, 500, torch.Generator().manual_seed(1))
    b = draw_indices(100, pool, 500, torch.Generator().manual_seed(1))
    assert set(a.tolist()) == {3, 7, 11} and torch.equal(a, b)
    assert draw_indices(5, None, 200, torch.Generator().manual_seed(0)).max() < 5


def test_gumbel_noise_has_the_gumbel_mean_and_scale():
    x = gumbel((200_000,), 2.0, torch.Generator().manual_seed(0))
    assert x.mean().item() == pytest.approx(2.0 * 0.5772, abs=0.02)  # scale × Euler–Mascheroni
    assert torch.isfinite(x).all()


def test_gradient_noise_draws_only_from_the_given_generator():
    params = [torch.nn.Parameter(torch.zeros(3, 2)), torch.nn.Parameter(torch.zeros(4))]
    for p in params:
        p.grad = torch.zeros_like(p)
    torch.manual_seed(123)
    before = torch.get_rng_state()
    add_gradient_noise(params, 0, 1.0, torch.Generator().manual_seed(5))
    assert torch.equal(torch.get_rng_state(), before)  # the global generator is untouched
    flat = torch.cat([p.grad.flatten() for p in params])
    assert torch.equal(flat, torch.randn(10, generator=torch.Generator().manual_seed(5)))  # std 1 at step 0


def test_temperature_and_selection_noise_schedules():
    cfg = TrainConfig(temperature=4.0, temperature_steps=10, selection_noise=2.0)
    assert cfg.temperature_at(1) == pytest.approx(4.0)
    assert cfg.temperature_at(6) == pytest.approx(2.0)  # geometric: half way is the square root
    assert cfg.temperature_at(11) == cfg.temperature_at(500) == pytest.approx(1.0)
    assert cfg.selection_noise_at(1) == 2.0 and cfg.selection_noise_at(6) == pytest.approx(1.0)
    assert cfg.selection_noise_at(11) == 0.0
    constant = TrainConfig(temperature=2.0, selection_noise=0.5)
    assert constant.temperature_at(1000) == 2.0 and constant.selection_noise_at(1000) == 0.5
    with pytest.raises(ValueError, match="compile"):
        TrainConfig(compile=True, selection_noise=1.0)
