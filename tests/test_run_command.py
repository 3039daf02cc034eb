"""The command the Train page shows for a run (explorer/run_command.py) parses back into that run's configs, so
it reproduces the run (the same curve: tests/test_same_curve.py)."""

from __future__ import annotations

import shlex

import pytest

from engine.cli.parser import build_parser
from engine.cli.train import configs_from_args
from engine.core.vocab import Vocab
from engine.np2016 import presets
from engine.np2016.data import tasks as data
from explorer.run_command import command


@pytest.mark.parametrize(("preset", "task", "train", "model"), [
    ("default", "columns-3", {}, {}),
    ("default", "names-5", {"seed": 4, "lr": 0.02, "steps": 700, "grad_noise": False, "train_size": 5000},
     {"d": 32, "T": 3, "question_attention": False}),
    ("paper2016", "single-column", {"eval_every": 50, "shuffle_letters": True}, {"init_scale": 0.05}),
])
def test_the_command_parses_back_into_the_runs_configs(preset, task, train, model):
    cfg = presets.train_config(preset, task, **train)
    model_config = presets.model_config(preset, task, len(Vocab(data.vocabulary(task))), **model)
    text = command(cfg, model_config, "run.safetensors")
    words = shlex.split(text)
    assert words[:4] == ["python", "-m", "engine", "train"]
    args = build_parser().parse_args(words[3:])
    assert args.target_accuracy == 0  # the app never stops early: neither may the command
    assert configs_from_args(args) == (cfg, model_config)
    assert len(words) == 11 + len(train) + len(model) - sum(  # only what differs from the preset is spelled out
        getattr(presets.train_config(preset, task), k) == v for k, v in train.items())
