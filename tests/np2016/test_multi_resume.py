"""K runs trained as one model-batched computation (engine/np2016/multi_train.py), stopped or crashed part way and
resumed from their state file (engine/np2016/multi_state.py), end bit for bit as the K runs trained straight through:
the same losses at every step after the resumption, curves, best steps, accuracies and weights."""

from __future__ import annotations

import threading

import pytest
import torch

from engine.core.train_state import load_state, state_path
from engine.core.vocab import Vocab
from engine.np2016 import multi_train, presets
from engine.np2016.data import tasks as data
from engine.np2016.multi_train import train_many

FEW = dict(steps=12, eval_every=4, batch_size=8, train_size=120, eval_size=30, test_size=30, threads=1)
GROUPS = {  # gradient noise, two seeds; our model with selection noise and name dropout, per-run noise switched
    "paper2016": ("single-column", [{"seed": 1}, {"seed": 2, "clip": 5.0}]),
    "default": ("columns-5", [{"seed": 3, "search_samples": 0, "selection_noise": 1.0, "temperature_steps": 6},
                              {"seed": 3, "search_samples": 0, "lr": 3e-3, "temperature_steps": 6}]),
}


def group(preset: str):
    task, variations = GROUPS[preset]
    cfgs = [presets.train_config(preset, task, **{**FEW, **v}) for v in variations]
    return cfgs, presets.model_config(preset, task, len(Vocab(data.vocabulary(task))), d=16)


@pytest.fixture
def losses(monkeypatch):
    """Every step's (K,) losses, by step, as the trainer returns them (the best weights alone could hide a
    difference after the best evaluation)."""
    seen: dict[int, list[float]] = {}
    real_step = multi_train.MultiTrainer.step

    def step(self, t):
        out = real_step(self, t)
        seen[t] = out.tolist()
        return out

    monkeypatch.setattr(multi_train.MultiTrainer, "step", step)
    return seen


def assert_same(resumed, straight):
    for a, b in zip(resumed, straight, strict=True):
        for key in ("curve", "best_step", "valid_accuracy", "test_accuracy", "steps_run", "error"):
            assert a.summary[key] == b.summary[key], key
        for (name, p), (_, q) in zip(a.model.state_dict().items(), b.model.state_dict().items(), strict=True):
            assert torch.equal(p, q), name


@pytest.mark.parametrize("preset", sorted(GROUPS))
def test_runs_stopped_after_an_evaluation_resume_as_never_stopped(tmp_path, preset, losses):
    cfgs, mc = group(preset)
    straight = train_many(cfgs, mc)
    straight_losses = dict(losses)
    state, stop = state_path(tmp_path / "g.safetensors"), threading.Event()

    def stop_at_4(k, step, acc):  # as Ctrl-C during step 5: the loop ends before it
        if step == 4 and k == len(cfgs) - 1:
            stop.set()

    first = train_many(cfgs, mc, stop=stop, on_eval=stop_at_4, state_file=state)
    assert all(r.summary["stopped"] and r.summary["steps_run"] == 4 for r in first)
    assert load_state(state)[1]["step"] == 4
    losses.clear()
    assert_same(train_many(cfgs, mc, state_file=state, resume=True), straight)
    assert sorted(losses) == list(range(5, 13)) and all(losses[t] == straight_losses[t] for t in losses)


def test_runs_that_crash_resume_from_their_last_periodic_state(tmp_path, monkeypatch, losses):
    cfgs, mc = group("paper2016")
    straight = train_many(cfgs, mc)
    straight_losses = dict(losses)
    state = state_path(tmp_path / "g.safetensors")
    real_step = multi_train.MultiTrainer.step

    def crash_at_7(self, step):
        if step == 7:
            raise RuntimeError("the machine went away")
        return real_step(self, step)

    monkeypatch.setattr(multi_train.MultiTrainer, "step", crash_at_7)
    with pytest.raises(RuntimeError, match="went away"):
        train_many(cfgs, mc, state_file=state, save_every=0)  # saved after every step
    monkeypatch.setattr(multi_train.MultiTrainer, "step", real_step)
    assert load_state(state)[1]["step"] == 6  # between two evaluations
    losses.clear()
    assert_same(train_many(cfgs, mc, state_file=state, resume=True), straight)
    assert sorted(losses) == list(range(7, 13)) and all(losses[t] == straight_losses[t] for t in losses)


def test_the_state_of_other_runs_is_refused(tmp_path):
    cfgs, mc = group("paper2016")
    state = state_path(tmp_path / "g.safetensors")
    train_many(cfgs, mc, state_file=state)
    with pytest.raises(ValueError, match="another run"):
        train_many(list(reversed(cfgs)), mc, state_file=state, resume=True)


def test_a_state_too_large_to_read_back_is_not_written(tmp_path, monkeypatch):
    cfgs, mc = group("paper2016")
    monkeypatch.setattr(multi_train.multi_state, "fits", lambda trainer: False)
    state = state_path(tmp_path / "g.safetensors")
    with pytest.warns(UserWarning, match="not saved"):
        train_many(cfgs, mc, state_file=state)
    assert not state.exists()
