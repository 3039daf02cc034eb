"""The 2017 model end to end on real tables (tests/fixtures/wtq): training with dev selection, the NaN guard,
early stopping, checkpoints, and the `train --data`, `evaluate` and `predict` commands."""

from __future__ import annotations

import json
import math
import threading
from pathlib import Path

import pytest
import torch

from engine.cli.main import main
from engine.core.io.examples import read_jsonl
from engine.core.progress import Progress
from engine.core.safetensors_reader import CheckpointError
from engine.families import WTQ2017, family_of
from engine.np2016 import checkpoint as np2016_checkpoint
from engine.wtq2017 import model as wtq_model
from engine.wtq2017.checkpoint import load_checkpoint, save_checkpoint
from engine.wtq2017.config import TrainConfig
from engine.wtq2017.dataset.convert import convert_file
from engine.wtq2017.dataset.evaluator import denotation_match
from engine.wtq2017.predict import answer_all, denotation, from_table, score, with_wtq
from engine.wtq2017.train import train, trainable

FIXTURE = Path(__file__).parents[1] / "fixtures" / "wtq"
SMALL = {"d": 16, "word_cutoff": 1}  # a model small enough to train in a second


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("wtq")
    paths = {"train": out / "train.jsonl", "dev": out / "dev.jsonl"}
    convert_file(FIXTURE / "data" / "sample.tsv", FIXTURE, paths["train"], purpose="train")
    convert_file(FIXTURE / "data" / "sample.tsv", FIXTURE, paths["dev"], purpose="eval")
    return paths


@pytest.fixture(scope="module")
def examples(files) -> dict[str, list[dict]]:
    return {k: read_jsonl(p) for k, p in files.items()}


def _cfg(**kw) -> TrainConfig:
    return TrainConfig(**{"batch_size": 4, "steps": 12, "eval_every": 4, **kw})


def test_training_keeps_the_best_dev_model_and_reports_it(examples):
    best_seen = []
    result = train(_cfg(), SMALL, examples["train"], examples["dev"],
                       on_best=lambda r: best_seen.append((r.summary["dev_accuracy"], r.summary["steps_run"],
                                                           r.summary["best_step"])))
    s = result.summary
    assert s["steps_run"] == 12 and [e["step"] for e in s["evals"]] == [4, 8, 12]
    assert s["dev_accuracy"] == max(e["dev_accuracy"] for e in s["evals"])
    assert best_seen and best_seen[-1][0] == s["dev_accuracy"]  # on_best came with every new best
    # a model saved on a new best (the CLI's on_best) records the step it was taken at
    assert all(steps_run == best_step > 0 for _, steps_run, best_step in best_seen)
    assert s["train_examples"] == len(trainable(examples["train"])) and s["dev_examples"] == len(examples["dev"])
    # the returned model is the best one: scoring it again gives the recorded dev accuracy
    again = score(examples["dev"], answer_all(result.model, result.vocab, examples["dev"]))
    assert again["accuracy"] == pytest.approx(s["dev_accuracy"])
    assert len(s["loss_curve"]) == 12 and all(math.isfinite(v) for _, v in s["loss_curve"])


def test_same_seed_same_losses(examples):
    a = train(_cfg(steps=5, eval_every=5), SMALL, examples["train"], examples["dev"]).summary
    b = train(_cfg(steps=5, eval_every=5), SMALL, examples["train"], examples["dev"]).summary
    assert a["loss_curve"] == b["loss_curve"]


def test_the_nan_guard_stops_and_keeps_a_model(examples, monkeypatch):
    calls = {"n": 0}
    real = wtq_model.batch_loss

    def poisoned(out, batch, config):
        calls["n"] += 1
        loss = real(out, batch, config)
        return loss * float("nan") if calls["n"] == 3 else loss

    monkeypatch.setattr("engine.wtq2017.train.batch_loss", poisoned)
    result = train(_cfg(), SMALL, examples["train"], examples["dev"])
    assert "step 3" in result.summary["error"] and result.summary["steps_run"] == 3
    assert result.summary["dev_accuracy"] >= 0  # the model before the bad step was scored and kept
    assert all(torch.isfinite(p).all() for p in result.model.parameters())


def test_patience_and_stop_end_a_run_early(examples):
    ran = train(_cfg(steps=200, eval_every=2, patience=2, lr=1e-7), SMALL,
                    examples["train"], examples["dev"]).summary
    assert ran["stopped"] and ran["steps_run"] < 200
    assert len(ran["evals"]) - 1 - [e["step"] for e in ran["evals"]].index(ran["best_step"]) == 2
    stop = threading.Event()
    stop.set()
    progress = Progress()
    early = train(_cfg(), SMALL, examples["train"], examples["dev"], progress=progress, stop=stop).summary
    assert early["stopped"] and early["steps_run"] == 0 and progress.snapshot()["done"]


def test_refuses_data_it_cannot_train_on(examples):
    with pytest.raises(ValueError, match="no trainable example"):
        train(_cfg(), SMALL, [ex for ex in examples["dev"] if not ex["wtq"]["trainable"]], examples["dev"])
    with pytest.raises(ValueError, match="dev data has no example with a target"):
        train(_cfg(), SMALL, examples["train"], [{k: v for k, v in ex.items() if k != "target"}
                                                      for ex in examples["dev"]])


# ----------------------------------------------------------------------------- checkpoints

def test_checkpoint_round_trip_and_family(examples, tmp_path):
    result = train(_cfg(steps=4), SMALL, examples["train"], examples["dev"])
    path = save_checkpoint(tmp_path / "m.safetensors", result.model, result.vocab, result.summary)
    model, vocab, info = load_checkpoint(path)
    assert family_of(path) == WTQ2017 and info["summary"]["dev_accuracy"] == result.summary["dev_accuracy"]
    before = answer_all(result.model, result.vocab, examples["dev"])
    assert answer_all(model, vocab, examples["dev"]) == before
    with pytest.raises(CheckpointError, match="schema"):
        np2016_checkpoint.load_checkpoint(path)  # the 2016 loader names the schema it expected
    with pytest.raises(CheckpointError, match="schema"):
        load_checkpoint(Path(__file__).parents[2] / "checkpoints" / "single-column.safetensors")
    raw = bytearray(path.read_bytes())
    raw[-8:] = b"\xff" * 8  # corrupt the last weights: NaN or a refused tensor, never a crash
    with pytest.raises(CheckpointError):
        load_checkpoint(bytes(raw))


# ----------------------------------------------------------------------------- plain examples

def test_plain_examples_are_converted_with_the_same_preprocessing():
    rows = [["Ann", 120], ["Bob", 200], ["Cy", 90]]
    ex = from_table(["Name", "Sales"], rows, "how many rows have sales above 100?", target=["2"])
    assert ex["rows"] == [["Ann", "120"], ["Bob", "200"], ["Cy", "90"]]
    assert ex["wtq"]["numbers"] == [100.0] and ex["wtq"]["column_kinds"] == ["word", "number"]
    assert ex["wtq"]["answer_type"] == "scalar" and ex["wtq"]["trainable"]
    cells = with_wtq({"columns": ["Name", "Sales"], "rows": rows, "question": "who sold most?",
                      "answer": {"cells": [[1, 0]]}})
    assert cells["target"] == ["Bob"] and cells["wtq"]["answer_type"] == "word_lookup"
    assert denotation(cells, {"kind": "cells", "cells": [[1, 0], [2, 1]]}) == ["Bob", "90"]
    assert denotation(cells, {"kind": "scalar", "value": 3.0}) == ["3"]
    assert denotation(cells, {"kind": "none"}) == []


# ----------------------------------------------------------------------------- the command line

def _train_cli(files, out, *extra) -> int:
    return main(["train", "--data", str(files["train"]), "--dev", str(files["dev"]), "--output", str(out),
                 "--d", "16", "--steps", "6", "--eval-every", "3", "--batch-size", "4",
                 "--model-option", "word_cutoff=1", *extra])


def test_cli_train_evaluate_predict(files, tmp_path, capsys):
    ckpt = tmp_path / "wtq.safetensors"
    assert _train_cli(files, ckpt) == 0
    out = capsys.readouterr().out
    assert "best dev accuracy" in out and ckpt.is_file()
    info = load_checkpoint(ckpt)[2]["summary"]
    assert info["preset"] == "wtq2017" and info["train_config"]["steps"] == 6 and info["data"]

    assert main(["evaluate", "--checkpoint", str(ckpt), "--input", str(files["dev"]), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["total"] == len(read_jsonl(files["dev"])) and "by_answer_type" in result

    # predict: a denotation on every line, the id kept, the target never read
    blind = tmp_path / "blind.jsonl"
    rows = read_jsonl(files["dev"])
    with open(blind, "w") as f:
        for ex in rows:
            poisoned = {**ex, "target": ["POISON"], "answer": {"scalar": 123456}}
            poisoned["wtq"] = {**ex["wtq"], "answer_type": "scalar", "answer_scalar": 123456.0}
            f.write(json.dumps(poisoned) + "\n")
    for source, dest in ((files["dev"], tmp_path / "p1.jsonl"), (blind, tmp_path / "p2.jsonl")):
        assert main(["predict", "--checkpoint", str(ckpt), "--input", str(source), "--output", str(dest)]) == 0
    first, second = read_jsonl(tmp_path / "p1.jsonl"), read_jsonl(tmp_path / "p2.jsonl")
    assert [p["id"] for p in first] == [ex["id"] for ex in rows]
    assert [p["denotation"] for p in first] == [p["denotation"] for p in second]
    right = sum(denotation_match(p["denotation"], ex["target"]) for p, ex in zip(first, rows, strict=True))
    assert right == result["correct"]  # evaluate and predict agree
    assert all(len(p["program"]) == 4 and {"op", "column", "pivot"} <= set(p["program"][0]) for p in first)


def test_cli_train_refuses_mixed_or_bad_flags(files, tmp_path, capsys):
    out = tmp_path / "x.safetensors"
    assert main(["train", "--task", "single-column", "--data", str(files["train"]), "--output", str(out)]) == 2
    assert main(["train", "--data", str(files["train"]), "--output", str(out)]) == 2  # no --dev
    assert _train_cli(files, out, "--grad-noise") == 2  # a 2016-only setting
    assert _train_cli(files, out, "--preset", "soft") == 2  # a synthetic preset with --data
    err = capsys.readouterr().err
    assert "--dev" in err and "synthetic-task model" in err and not out.exists()


def test_cli_train_saves_its_state_and_resume_goes_on_from_it(files, tmp_path, capsys):
    from engine.core.train_state import load_state, state_path

    ckpt = tmp_path / "wtq.safetensors"
    assert _train_cli(files, ckpt, "--resume") == 2  # nothing saved yet: said, not a fresh start
    assert "nothing to resume" in capsys.readouterr().err
    assert _train_cli(files, ckpt) == 0
    state = state_path(ckpt)
    assert f"the run's state: {state}" in capsys.readouterr().out and load_state(state)[1]["step"] == 6
    assert _train_cli(files, ckpt, "--resume", "--steps", "9") == 0  # the same run, three steps longer
    assert load_checkpoint(ckpt)[2]["summary"]["steps_run"] == 9 and load_state(state)[1]["step"] == 9


def test_search_training_records_its_search_and_method(examples, files, tmp_path):
    data = tmp_path / "train.jsonl"
    data.write_text(files["train"].read_text())
    result = train(_cfg(steps=4, eval_every=4, search_weight=1.0), SMALL, examples["train"], examples["dev"],
                   data_path=data)
    s = result.summary
    assert s["search"]["questions_with_programs"] > 0 and not s["search"]["cached"]
    assert "marginal likelihood" in s["method"] and not s["error"]
    assert (tmp_path / "train.programs.json").is_file()
    again = train(_cfg(steps=4, eval_every=4, search_weight=1.0), SMALL, examples["train"], examples["dev"],
                  data_path=data).summary
    assert again["search"]["cached"] and again["loss_curve"] == s["loss_curve"]  # the cache changes nothing
