"""Settings said once (engine/np2016/config.py): every field carries its help, label and range, and is checked by it."""

import math

import pytest
from hypothesis import given
from hypothesis import settings as hyp_settings
from hypothesis import strategies as st

from engine.core.settings import parse_options, settings
from engine.np2016.config import ModelConfig, TrainConfig

ALL = [(cls, s) for cls in (TrainConfig, ModelConfig) for s in settings(cls)]
NUMERIC = [(cls, s) for cls, s in ALL if s.type in (int, float)]


def test_every_field_is_documented_and_bounded():
    for cls, s in ALL:
        assert s.help and s.label, (cls.__name__, s.name)
        assert s.type in (int, float, bool, str, tuple)
        if s.type in (int, float):
            assert s.lo is not None and s.hi is not None and s.lo <= s.default <= s.hi, s
        s.check(s.default)  # the default satisfies its own range
    assert TrainConfig() == TrainConfig.from_dict(TrainConfig().to_dict())
    assert ModelConfig() == ModelConfig.from_dict(ModelConfig().to_dict())
    flags = [s.flag for cls, s in ALL if s.cli]
    assert len(flags) == len(set(flags))  # one command line for both configs: no clashes (steps vs T)


@pytest.mark.parametrize(("cls", "s"), NUMERIC, ids=[f"{c.__name__}.{s.name}" for c, s in NUMERIC])
def test_out_of_range_is_refused_with_name_value_and_range(cls, s):
    below = s.lo - 1 if s.type is int else s.lo - max(abs(s.lo), 1e-3)
    above = s.hi + 1 if s.type is int else s.hi * 2 + 1
    for bad in (below, above) + ((math.nan, math.inf) if s.type is float else (1.5, True)):
        with pytest.raises(ValueError) as e:
            cls(**{s.name: bad})
        message = str(e.value)
        assert s.name in message and repr(bad) in message, message
        if type(bad) is s.type and not s.lo <= bad <= s.hi:
            assert s.describe_range() in message
    assert getattr(cls(**{s.name: s.lo}), s.name) == s.lo and getattr(cls(**{s.name: s.hi}), s.name) == s.hi


@hyp_settings(max_examples=200, deadline=None)
@given(data=st.data())
def test_values_in_range_accepted_and_round_trip_as_text(data):
    cls, s = data.draw(st.sampled_from(NUMERIC))
    if s.type is int:
        value = data.draw(st.integers(int(s.lo), int(s.hi)))
    else:
        value = data.draw(st.floats(s.lo, s.hi, allow_nan=False))
    config = cls(**{s.name: value})
    assert getattr(config, s.name) == value and type(getattr(config, s.name)) is s.type
    assert s.parse(repr(value)) == value  # command-line text reads back as the same value


def test_parse_typed_like_the_field():
    by_name = {s.name: s for s in settings(TrainConfig)}
    assert by_name["grad_noise"].parse(" Off ") is False and by_name["grad_noise"].parse("yes") is True
    assert by_name["lr"].parse("1e-3") == 1e-3 and by_name["steps"].parse("12") == 12
    for name, text in (("grad_noise", "maybe"), ("steps", "1.5"), ("lr", "nan"), ("lr", "inf"), ("lr", "x")):
        with pytest.raises(ValueError, match=name):
            by_name[name].parse(text)
    assert parse_options(TrainConfig, ["search-samples=16", "balanced_lookup=false"]) == \
        {"search_samples": 16, "balanced_lookup": False}
    for bad in (["nope=1"], ["steps"], ["steps=x"]):
        with pytest.raises(ValueError):
            parse_options(TrainConfig, bad)
    with pytest.raises(ValueError, match="KEY one of: bidirectional, d, "):  # excluded keys are not offered
        parse_options(ModelConfig, ["vocab_size=5"], exclude=("vocab_size", "ops"))
    with pytest.raises(ValueError, match="unknown"):
        TrainConfig.from_dict({"lr": 0.1, "learning_rate": 0.1})


def test_ops_checked_against_the_known_set():
    assert ModelConfig(ops=["sum", "reset"]).ops == ("sum", "reset")
    for ops, word in ((["sum", "fly", "reset"], "fly"), (["sum"], "reset"), (["sum", "sum", "reset"], "distinct"),
                      ([1, "reset"], "ops")):
        with pytest.raises(ValueError, match=word):
            ModelConfig(ops=ops)
