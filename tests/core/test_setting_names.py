"""One name per setting across the two model families, and the names files and commands used before still read."""

import pytest

from engine.core.settings import parse_options, settings
from engine.np2016 import config as np2016
from engine.wtq2017 import config as wtq2017


def names(cls) -> set[str]:
    return {s.name for s in settings(cls)}


def test_the_settings_both_families_have_share_one_name_and_flag():
    shared_train = names(np2016.TrainConfig) & names(wtq2017.TrainConfig)
    assert {"lr", "clip", "steps", "batch_size", "adam_eps", "eval_every", "seed", "threads", "device"} <= shared_train
    assert {"d", "T"} <= names(np2016.ModelConfig) & names(wtq2017.ModelConfig)
    # T is the program's length and steps the optimiser's: no field name means both
    assert "steps" not in names(np2016.ModelConfig) | names(wtq2017.ModelConfig)
    flags = [s.flag for cls in (np2016.TrainConfig, np2016.ModelConfig) for s in settings(cls) if s.cli]
    assert len(flags) == len(set(flags)) and "T" in flags


@pytest.mark.parametrize("cls, old, new, value", [
    (wtq2017.TrainConfig, "learning_rate", "lr", 0.01), (wtq2017.TrainConfig, "clip_norm", "clip", 2.0),
    (wtq2017.TrainConfig, "train_steps", "steps", 7), (wtq2017.ModelConfig, "steps", "T", 3),
    (np2016.ModelConfig, "steps", "T", 2)])
def test_an_old_name_reads_as_the_new_one(cls, old, new, value):
    assert getattr(cls.from_dict({old: value}), new) == value  # a checkpoint's JSON written before
    assert parse_options(cls, [f"{old}={value}"]) == {new: value}  # --train-option/--model-option, --set
    with pytest.raises(ValueError, match="twice"):
        cls.from_dict({old: value, new: value})


def test_an_unknown_name_is_still_refused():
    with pytest.raises(ValueError, match="learning_rate"):
        np2016.TrainConfig.from_dict({"learning_rate": 0.1})  # the 2016 config never had that name
