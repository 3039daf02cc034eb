"""Training an ensemble's members (engine/wtq2017/ensemble_train.py): a member stopped midway resumes to the same
losses as one trained straight through and is then skipped; the command trains the members as Ray tasks and writes
an ensemble file that answers; a directory of other settings is refused."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from engine.cli.main import main
from engine.wtq2017.checkpoint import read_checkpoint_info
from engine.wtq2017.dataset.convert import convert_file
from engine.wtq2017.ensemble import Ensemble, load_model
from engine.wtq2017.ensemble_train import done_path, member_path, train_ensemble, train_member
from tests.stopping import StopAfter

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "wtq"
TRAIN = {"batch_size": 4, "steps": 6, "eval_every": 3}
MODEL = {"d": 8}


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> tuple[str, str]:
    out = tmp_path_factory.mktemp("wtq")
    convert_file(FIXTURE / "data" / "sample.tsv", FIXTURE, out / "train.jsonl", purpose="train")
    convert_file(FIXTURE / "data" / "sample.tsv", FIXTURE, out / "dev.jsonl", purpose="eval")
    return str(out / "train.jsonl"), str(out / "dev.jsonl")


def test_a_stopped_member_resumes_to_the_same_losses_and_is_then_skipped(data, tmp_path):
    straight = train_member(tmp_path / "a", 3, *data, TRAIN, MODEL)
    stop = threading.Event()
    train_member(tmp_path / "b", 3, *data, TRAIN, MODEL, stop=stop, progress=StopAfter(2, stop))
    assert not done_path(tmp_path / "b", 3).exists()  # stopped: not done, resumed next time
    resumed = train_member(tmp_path / "b", 3, *data, TRAIN, MODEL)
    curves = [read_checkpoint_info(member_path(tmp_path / d, 3))["summary"]["loss_curve"] for d in ("a", "b")]
    assert curves[0] == curves[1] and resumed["steps_run"] == straight["steps_run"] == 6
    assert done_path(tmp_path / "b", 3).is_file()
    assert train_member(tmp_path / "b", 3, *data, {**TRAIN, "steps": 1000}, MODEL) == resumed  # done: not retrained


def test_the_command_trains_members_on_ray_and_resumes(data, tmp_path, capsys):
    out = tmp_path / "ens"
    assert main(["ensemble-train", "--data", data[0], "--dev", data[1], "--seeds", "2", "--output", str(out),
                 "--workers", "2", "--train-option", "steps=4", "--train-option", "eval_every=2",
                 "--train-option", "batch_size=4", "--model-option", "d=8"]) == 0
    assert "2 members answering together" in capsys.readouterr().out
    model, _, info = load_model(out / "ensemble.json")
    assert isinstance(model, Ensemble) and len(info["members"]) == 2
    assert {m["summary"]["train_config"]["seed"] for m in info["members"]} == {0, 1}
    times = [member_path(out, s).stat().st_mtime for s in (0, 1)]
    assert main(["ensemble-train", "--data", data[0], "--dev", data[1], "--seeds", "2", "--output", str(out),
                 "--workers", "2", "--train-option", "steps=4", "--train-option", "eval_every=2",
                 "--train-option", "batch_size=4", "--model-option", "d=8"]) == 0
    assert "2 of 2 members done; training 0" in capsys.readouterr().err
    assert [member_path(out, s).stat().st_mtime for s in (0, 1)] == times  # nothing trained again
    with pytest.raises(ValueError, match="other model"):
        train_ensemble(out, *data, {"steps": 4}, {"d": 16}, [0, 1], log=lambda _: None)
