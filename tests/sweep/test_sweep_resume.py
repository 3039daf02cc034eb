"""A sweep interrupted mid-run goes on from its groups' last saved state (engine/sweep/group_state.py), not from
step 0, and ends with the records of a sweep run straight through (all but the wall-clock seconds): stopped, crashed,
and rerun from the command line with another --workers (which would group the runs otherwise)."""

from __future__ import annotations

import json
import threading

import pytest

from engine.core.train_state import load_state
from engine.np2016 import multi_train
from engine.sweep import group_state
from engine.sweep import plan as sweep
from engine.sweep.ray_runner import train_group
from tests.sweep.test_sweep import run_sweep_cli

SMALL = {"steps": 8, "eval_every": 2, "train_size": 60, "eval_size": 20, "test_size": 20, "threads": 1}
GRID = {"clip": [1.0]}


def plan():
    """One grid point, two seeds: one model-batched group of two."""
    runs = sweep.plan("paper2016", "single-column", GRID, 2, SMALL)
    (group,) = sweep.groups(runs, 16)
    return runs, group


def records(directory) -> dict:
    """The records by id, without their wall-clock seconds."""
    return {r["id"]: {k: v for k, v in r.items() if k != "seconds"} for r in sweep.read_records(directory)}


@pytest.fixture
def steps_taken(monkeypatch):
    """The steps the model-batched trainer takes, in order; a test may set `crash_at` or `stop` to interrupt it
    before a step."""
    taken: list[int] = []
    hooks: dict = {}
    real_step = multi_train.MultiTrainer.step

    def step(self, t):
        if t == hooks.get("crash_at"):
            raise RuntimeError("the trial was killed")
        taken.append(t)
        out = real_step(self, t)
        if t == hooks.get("stop_after"):
            hooks["stop"].set()
        return out

    monkeypatch.setattr(multi_train.MultiTrainer, "step", step)
    return taken, hooks


@pytest.mark.parametrize("how", ["stopped", "crashed"])
def test_an_interrupted_group_resumes_from_its_state_and_ends_as_one_run_straight(tmp_path, steps_taken, how):
    taken, hooks = steps_taken
    runs, group = plan()
    train_group(group, tmp_path / "straight")
    out = tmp_path / "interrupted"
    taken.clear()
    if how == "stopped":  # a stop request after step 3: the group saves its state and records nothing
        hooks.update(stop_after=3, stop=threading.Event())
        assert train_group(group, out, stop=hooks["stop"]) == []
    else:  # killed before step 6: the state saved after step 5 is left
        hooks["crash_at"] = 6
        with pytest.raises(RuntimeError, match="killed"):
            train_group(group, out, save_every=0)
    saved_at = 3 if how == "stopped" else 5
    assert taken == list(range(1, saved_at + 1)) and sweep.recorded_ids(out) == set()
    state = group_state.state_file(out, group)
    assert load_state(state)[1]["step"] == saved_at

    hooks.clear()
    taken.clear()
    assert group_state.take_back(out, runs) == ([group], [])  # the rerun finds the group as it was
    assert len(train_group(group, out)) == 2
    assert taken == list(range(saved_at + 1, SMALL["steps"] + 1))  # from the saved step, not from step 0
    assert records(out) == records(tmp_path / "straight")
    assert not any((out / group_state.STATE_DIR).iterdir())  # the group's state and manifest are gone


def test_a_saved_group_with_a_recorded_run_is_dropped_and_its_runs_train_anew(tmp_path):
    runs, group = plan()
    state = group_state.begin(tmp_path, group)
    state.write_bytes(b"a state")
    (tmp_path / "runs").mkdir()
    todo = runs[1:]  # runs[0] is recorded meanwhile
    assert group_state.take_back(tmp_path, todo) == ([], todo)
    assert not state.exists() and not any((tmp_path / group_state.STATE_DIR).iterdir())
    group_state.begin(tmp_path, group)
    (tmp_path / group_state.STATE_DIR / f"{group_state.group_id(group)}.json").write_text('{"runs": 5}')
    assert group_state.take_back(tmp_path, runs) == ([], runs)  # not a manifest: nothing taken back
    group_state.tidy(tmp_path)
    assert not (tmp_path / group_state.STATE_DIR).exists()


def test_the_sweep_command_resumes_an_interrupted_group_whatever_its_workers(tmp_path, monkeypatch):
    runs, group = plan()
    train_group(group, tmp_path / "straight")
    out = tmp_path / "out"
    spec = sweep.make_spec("paper2016", "single-column", GRID, 2, sweep.check_base(SMALL), 1.0, 16)
    sweep.open_sweep(out, spec)
    stop = threading.Event()

    def stop_after_4(k, step, acc):
        if step == 4:
            stop.set()

    real = multi_train.train_many
    monkeypatch.setattr(multi_train, "train_many", lambda cfgs, **kw: real(cfgs, **kw, on_eval=stop_after_4))
    assert train_group(group, out, stop=stop) == []
    assert load_state(group_state.state_file(out, group))[1]["step"] == 4

    grid = tmp_path / "grid.json"
    grid.write_text(json.dumps(GRID))
    # with 2 workers a fresh plan would train the two runs apart; the saved group is taken back whole
    result = run_sweep_cli(tmp_path, grid, out, seeds=2, workers=2, settings=SMALL)
    assert "2 of 2 runs finished (2 trained now)" in result.stdout
    assert records(out) == records(tmp_path / "straight")
    assert sorted(p.name for p in out.iterdir()) == ["runs", "summary.csv", "summary.md", "sweep.json"]


def test_save_minutes_must_be_positive(tmp_path, capsys):
    from engine.cli.main import main

    grid = tmp_path / "grid.json"
    grid.write_text('{"lr": [0.01]}')
    assert main(["sweep", "--preset", "paper2016", "--task", "single-column", "--grid", str(grid),
                 "--output", str(tmp_path / "out"), "--save-minutes", "0"]) == 2
    assert "--save-minutes must be more than 0" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()
