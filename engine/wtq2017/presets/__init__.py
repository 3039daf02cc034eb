"""Presets of the 2017 model, as files (as engine/np2016/presets/): each module here holds DESCRIPTION, TRAIN
(TrainConfig values) and MODEL (ModelConfig values); `python -m engine train --data` reads them."""

from __future__ import annotations

import importlib
from dataclasses import dataclass

WTQ_NAMES = ("wtq2017", "wtq_small", "wtq_search", "wtq_extended")  # the modules of this package, the default first


@dataclass(frozen=True)
class WtqPreset:
    name: str
    description: str
    train: dict
    model: dict


def wtq_preset(name: str) -> WtqPreset:
    """The 2017-model preset called `name` (ValueError naming the known ones otherwise)."""
    if name not in WTQ_NAMES:
        raise ValueError(f"unknown preset {name!r} for the 2017 model: one of {', '.join(WTQ_NAMES)}")
    module = importlib.import_module(f"{__name__}.{name}")
    return WtqPreset(name, module.DESCRIPTION, {**module.TRAIN, "preset": name}, dict(module.MODEL))
