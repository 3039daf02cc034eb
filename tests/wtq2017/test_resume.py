"""A 2017 training run stopped and resumed from its state file (engine/core/train_state.py) goes on bit for bit:
the same losses, evaluations and weights as the run that was never stopped; a state of another run is refused."""

from __future__ import annotations

import threading

import pytest
import torch

from engine.core.safetensors_reader import CheckpointError
from engine.core.train_state import load_state, state_path
from engine.wtq2017.config import TrainConfig
from engine.wtq2017.train import train
from tests.stopping import StopAfter

SMALL = {"d": 16, "word_cutoff": 1}


def _cfg(**kw) -> TrainConfig:
    return TrainConfig(**{"batch_size": 4, "steps": 12, "eval_every": 4, "seed": 3, **kw})


@pytest.mark.parametrize("stop_after", [5, 8])  # between evaluations, and right after one
def test_a_stopped_run_resumed_from_its_state_ends_as_the_run_never_stopped(wtq_fixture_examples, tmp_path,
                                                                           stop_after):
    data = wtq_fixture_examples
    straight = train(_cfg(), SMALL, data, data)
    state = state_path(tmp_path / "m.safetensors")
    stop = threading.Event()
    first = train(_cfg(), SMALL, data, data, progress=StopAfter(stop_after, stop), stop=stop, state_file=state,
                  save_every=0.0)
    assert first.summary["stopped"] and first.summary["steps_run"] == stop_after and state.is_file()
    resumed = train(_cfg(), SMALL, data, data, state_file=state, resume=True)
    assert resumed.summary["loss_curve"] == straight.summary["loss_curve"]  # every loss, exactly
    assert [(e["step"], e["dev_accuracy"]) for e in resumed.summary["evals"] if e["step"] % 4 == 0] == \
        [(e["step"], e["dev_accuracy"]) for e in straight.summary["evals"]]
    assert resumed.summary["best_step"] == straight.summary["best_step"]
    for (name, a), (_, b) in zip(resumed.model.state_dict().items(), straight.model.state_dict().items(), strict=True):
        assert torch.equal(a, b), name


def test_a_state_of_another_run_is_refused_and_a_damaged_one_is_a_clear_error(wtq_fixture_examples, tmp_path):
    data = wtq_fixture_examples
    state = state_path(tmp_path / "m.safetensors")
    train(_cfg(steps=4), SMALL, data, data, state_file=state)
    tensors, values = load_state(state)
    assert values["step"] == 4 and any(k.startswith("opt.") for k in tensors)
    with pytest.raises(ValueError, match="another run"):
        train(_cfg(lr=0.01), SMALL, data, data, state_file=state, resume=True)
    longer = train(_cfg(steps=6), SMALL, data, data, state_file=state, resume=True)  # only the length changed
    assert longer.summary["steps_run"] == 6
    state.write_bytes(state.read_bytes()[:100])
    with pytest.raises(CheckpointError):
        train(_cfg(steps=8), SMALL, data, data, state_file=state, resume=True)
