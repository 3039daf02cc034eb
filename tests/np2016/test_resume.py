"""A synthetic-task training run stopped and resumed from its state file (engine/core/train_state.py) goes on bit
for bit: the same losses, validations, search memory and weights as the run that was never stopped."""

from __future__ import annotations

import threading

import pytest
import torch

from engine.core.train_state import load_state, state_path
from engine.np2016 import presets
from engine.np2016.train import train
from tests.stopping import StopAfter

FEW = dict(steps=12, eval_every=4, batch_size=8, train_size=200, eval_size=40, test_size=0, threads=1, seed=5)


@pytest.mark.parametrize("preset, stop_after", [("default", 6), ("paper2016", 8)])  # search + memory; noise
def test_a_stopped_run_resumed_from_its_state_ends_as_the_run_never_stopped(tmp_path, preset, stop_after):
    cfg = presets.train_config(preset, "single-column", **FEW)
    model_cfg = None  # the preset's model for the task
    straight = train(cfg, model_cfg)
    state = state_path(tmp_path / "m.safetensors")
    stop = threading.Event()
    first = train(cfg, model_cfg, progress=StopAfter(stop_after, stop), stop=stop, state_file=state, save_every=0)
    assert first.summary["stopped"] and first.summary["steps_run"] == stop_after
    assert load_state(state)[1]["step"] == stop_after
    resumed = train(cfg, model_cfg, state_file=state, resume=True)
    assert resumed.summary["loss_curve"] == straight.summary["loss_curve"]
    assert (resumed.summary["best_step"], resumed.summary["valid_accuracy"]) == \
        (straight.summary["best_step"], straight.summary["valid_accuracy"])
    for (name, a), (_, b) in zip(resumed.model.state_dict().items(), straight.model.state_dict().items(), strict=True):
        assert torch.equal(a, b), name


def test_a_state_of_another_run_is_refused(tmp_path):
    cfg = presets.train_config("default", "single-column", **FEW)
    state = state_path(tmp_path / "m.safetensors")
    train(cfg, state_file=state)
    with pytest.raises(ValueError, match="another run"):
        train(presets.train_config("default", "single-column", **{**FEW, "lr": 0.01}), state_file=state, resume=True)
    longer = train(presets.train_config("default", "single-column", **{**FEW, "steps": 16}), state_file=state,
                   resume=True)
    assert longer.summary["steps_run"] == 16
