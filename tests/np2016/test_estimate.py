"""The estimate of a run's time before Start (engine/np2016/estimate.py): measured from real steps of the configured
model, scaled by the run's steps, evaluations, data and tests, and drawing nothing from torch's global
generator (a run alongside computes the same numbers)."""

from __future__ import annotations

from dataclasses import replace

import pytest
import torch

from engine.core.eta import evaluations_left
from engine.np2016.config import TrainConfig
from engine.np2016.data import tasks as data
from engine.np2016.estimate import COMPILE_SECONDS, MAX_TIMED_STEPS, measure
from engine.np2016.train import initial_model

CFG = TrainConfig(task="single-column", steps=1000, batch_size=8, train_size=2000, eval_size=100, test_size=50,
                  eval_every=300, threads=1, search_samples=2)


def test_the_estimate_adds_up_the_measured_parts_of_the_run():
    torch.manual_seed(0)
    before = torch.get_rng_state()
    estimate = measure(CFG)
    assert torch.equal(torch.get_rng_state(), before)
    assert 1 <= estimate.timed_steps <= MAX_TIMED_STEPS
    assert estimate.step_seconds > 0 and estimate.eval_seconds > 0 and estimate.data_seconds > 0
    assert estimate.test_seconds > 0 and estimate.compile_seconds == 0
    assert (estimate.steps, estimate.evaluations) == (1000, evaluations_left(0, 1000, 300)) == (1000, 4)
    assert estimate.total == pytest.approx(estimate.data_seconds + 1000 * estimate.step_seconds
                                           + 4 * estimate.eval_seconds + estimate.test_seconds)


def test_a_fine_tuning_generates_no_data_and_scores_its_tests_twice():
    model, vocab = initial_model(TrainConfig(task="single-column", seed=2), None, None)
    taught = data.generate("single-column", "train", 3, seed=4)
    weights = {k: v.clone() for k, v in model.state_dict().items()}
    estimate = measure(CFG, init=(model, vocab), examples=taught, tests=2)
    assert estimate.data_seconds == 0 and estimate.test_seconds > 0
    assert all(torch.equal(weights[k], v) for k, v in model.state_dict().items())  # the checkpoint is untouched
    assert measure(CFG, init=(model, vocab), examples=taught, tests=0).test_seconds == 0


def test_compiling_adds_its_stated_cost():
    estimate = measure(replace(CFG, compile=True, test_size=0, steps=10))
    assert estimate.compile_seconds == COMPILE_SECONDS and estimate.test_seconds == 0
