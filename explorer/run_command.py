"""The command line that trains the same run as the app (same settings and seed: the same curve, bit for bit,
tests/test_same_curve.py). Only settings that differ from the preset's are spelled out, with the flags
engine/cli/train.py generates from the config fields (tests/test_run_command.py parses them back).
"""

from __future__ import annotations

import shlex

from engine.core.settings import settings
from engine.core.vocab import Vocab
from engine.np2016 import presets
from engine.np2016.config import ModelConfig, TrainConfig
from engine.np2016.data import tasks as data

__all__ = ["command"]


def _flags(cls: type, chosen, preset) -> list[str]:
    flags = []
    for s in settings(cls):
        value = getattr(chosen, s.name)
        if not s.cli or value == getattr(preset, s.name):
            continue
        if s.type is bool:
            flags.append(f"--{'' if value else 'no-'}{s.flag}")
        else:
            flags.append(f"--{s.flag}={value}")
    return flags


def command(cfg: TrainConfig, model_config: ModelConfig, output: str = "model.safetensors") -> str:
    """`python -m engine train ...` for a run of cfg.task (not for a fine-tuning: the command line has no
    custom set)."""
    preset_train = presets.train_config(cfg.preset, cfg.task)
    preset_model = presets.model_config(cfg.preset, cfg.task, len(Vocab(data.vocabulary(cfg.task))))
    # the app never stops a run early on reaching a target accuracy; the command line does by default (1.0)
    words = ["python", "-m", "engine", "train", "--task", cfg.task, "--preset", cfg.preset, "--output", output,
             "--target-accuracy=0"]
    words += _flags(TrainConfig, cfg, preset_train) + _flags(ModelConfig, model_config, preset_model)
    return shlex.join(words)
