"""Presets as files, as nanoGPT's config/*.py: each module here is one named starting point for a run.

A preset module holds DESCRIPTION (one plain sentence for the Train page), TRAIN (TrainConfig values) and
model(spec) (ModelConfig values for a task, given its engine.np2016.data.tasks.TaskSpec). `resolve` applies a
preset, then the caller's overrides (flags, the Train page's widgets), and returns the configs a run uses; the
preset's name travels in TrainConfig.preset and every resolved value in the checkpoint's metadata.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass

from engine.np2016.config import NUMERIC_OPS, TEXT_OPS, ModelConfig, TrainConfig
from engine.np2016.data import tasks as data

NAMES = ("default", "paper2016", "soft")  # the modules of this package, the default first


@dataclass(frozen=True)
class Preset:
    name: str
    description: str
    train: dict
    model: Callable[[data.TaskSpec], dict]


def get(name: str) -> Preset:
    """The preset called `name` (ValueError naming the known ones otherwise)."""
    if name not in NAMES:
        raise ValueError(f"unknown preset {name!r}: one of {', '.join(NAMES)}")
    module = importlib.import_module(f"{__name__}.{name}")
    return Preset(name, module.DESCRIPTION, dict(module.TRAIN), module.model)


PRESETS: dict[str, Preset] = {name: get(name) for name in NAMES}


def train_config(preset: str, task: str, **overrides) -> TrainConfig:
    """TrainConfig for `task`: the preset's values, then `overrides` (ValueError for an unknown field or value)."""
    if task not in data.TASKS:
        raise ValueError(f"unknown task {task!r}: one of {', '.join(data.TASKS)}")
    return TrainConfig(**{**get(preset).train, **overrides, "task": task, "preset": preset})


def model_config(preset: str, task: str, vocab_size: int, **overrides) -> ModelConfig:
    """ModelConfig for `task`: its operations (text_match for text tables), the preset's values, then `overrides`."""
    spec = data.TASKS[task]
    return ModelConfig(**{"vocab_size": vocab_size, "ops": TEXT_OPS if spec.text_columns else NUMERIC_OPS,
                          **get(preset).model(spec), **overrides})


# how a checkpoint was trained, in the plain words of the checkpoint pickers
METHODS = {
    "paper": "the paper's method: gradient descent only",
    "soft": "gradient descent only",
    "search": "program search only",
    "ours": "ours: gradient descent + program search",
}


def training_method(summary: dict) -> str | None:
    """The key of METHODS that says how a run was trained (its summary's train_config), None if not recorded."""
    cfg = summary.get("train_config")
    if not isinstance(cfg, dict):
        return None
    samples, weight = cfg.get("search_samples"), cfg.get("search_weight", 1.0)
    searched = isinstance(samples, int) and samples > 1 and isinstance(weight, (int, float)) and weight > 0
    if not searched:  # no program search (train.py searches with 2+ samples and a positive weight)
        return "paper" if cfg.get("preset") == "paper2016" else "soft"
    return "ours" if cfg.get("soft_loss", True) else "search"
