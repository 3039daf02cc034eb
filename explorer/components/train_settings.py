"""The Train page's hyper-parameter widgets, generated from the config fields (engine/config.py `settings`).

Each field's label, help text, type and range are said once, in the config; this module only chooses
which fields the page offers, in what order, and where the app differs from the command line: shorter
runs and smaller data by default (a shared server's two cores), a few tighter upper bounds, and the
hidden sizes offered as a short list. `chosen()` reads the widgets back as typed overrides, from which
the page builds a TrainConfig (which validates them again).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import streamlit as st

from engine.config import ModelConfig, Setting, TrainConfig, settings

SETTINGS = {cls: {s.name: s for s in settings(cls)} for cls in (TrainConfig, ModelConfig)}


@dataclass(frozen=True)
class Knob:
    """One widget: a config field, with the app's default, bound, choices or format where they differ."""

    config: type  # TrainConfig or ModelConfig
    name: str
    default: Any = None  # None: the config's default
    custom_default: Any = None  # the default when fine-tuning on the custom set (None: as `default`)
    hi: float | None = None  # a tighter upper bound than the config's
    choices: tuple | None = None
    fmt: str | None = None
    step: float | None = None
    group: str = "main"  # "main" (the grid) or "data" (the Data sizes expander)

    @property
    def setting(self) -> Setting:
        return SETTINGS[self.config][self.name]

    @property
    def key(self) -> str:
        """The widget's session-state key: hp_<field>, hp_model_<field> for the model's fields."""
        return f"hp_{'model_' if self.config is ModelConfig else ''}{self.name}"

    def initial(self, custom: bool):
        if custom and self.custom_default is not None:
            return self.custom_default
        return self.setting.default if self.default is None else self.default


KNOBS = (
    Knob(ModelConfig, "steps", hi=8),
    Knob(ModelConfig, "d", choices=(16, 32, 64, 128, 256)),
    Knob(TrainConfig, "lr", fmt="%.5f", step=1e-3),
    Knob(TrainConfig, "batch_size", hi=500),
    Knob(TrainConfig, "grad_noise"),
    Knob(TrainConfig, "noise_eta", hi=1.0, fmt="%.4f"),
    Knob(TrainConfig, "clip"),
    Knob(TrainConfig, "huber_delta"),
    Knob(TrainConfig, "lookup_weight"),
    Knob(TrainConfig, "seed"),
    Knob(TrainConfig, "steps", default=1000, custom_default=200, hi=100_000),
    Knob(TrainConfig, "eval_every", default=100, custom_default=50, hi=10_000),
    Knob(TrainConfig, "search_samples", hi=256),
    Knob(TrainConfig, "search_weight"),
    Knob(TrainConfig, "search_epsilon"),
    Knob(TrainConfig, "search_memory", hi=16),
    Knob(TrainConfig, "train_size", default=5000, hi=50_000, group="data"),
    Knob(TrainConfig, "eval_size", default=300, hi=5000, group="data"),
)
MODEL_SHAPE = ("steps", "d")  # the ModelConfig fields a fine-tuned checkpoint fixes


def _widget(container, knob: Knob, custom: bool, disabled: bool) -> None:
    s = knob.setting
    value = knob.initial(custom)
    common = {"key": knob.key, "help": s.help, "disabled": disabled}
    if knob.choices or s.choices:
        options = list(knob.choices or s.choices)
        container.selectbox(s.label, options, index=options.index(value), **common)
    elif s.type is bool:
        container.toggle(s.label, value, **common)
    else:
        hi = s.hi if knob.hi is None else knob.hi
        kind = s.type
        step = knob.step if knob.step is not None else (1 if kind is int else None)
        container.number_input(s.label, kind(s.lo) if s.lo is not None else None, kind(hi) if hi is not None else None,
                               kind(value), step=step, format=knob.fmt, **common)


def draw(*, running: bool, custom: bool, base=None) -> None:
    """The widgets, four to a row; `base` (a checkpoint entry being fine-tuned) fixes the model's shape."""
    ss = st.session_state
    main = [k for k in KNOBS if k.group == "main"]
    for row in range(0, len(main), 4):
        columns = st.columns(4)
        for column, knob in zip(columns, main[row:row + 4], strict=False):
            if base is not None and knob.config is ModelConfig and knob.name in MODEL_SHAPE:
                column.metric(knob.setting.label, getattr(base, knob.name), help="fixed by the checkpoint being "
                              "fine-tuned")
                continue
            off = knob.name == "noise_eta" and not ss.get(_key("grad_noise"), True)
            _widget(column, knob, custom, running or off)
    with st.expander("Data sizes"):
        data = [k for k in KNOBS if k.group == "data"]
        for column, knob in zip(st.columns(len(data)), data, strict=True):
            _widget(column, knob, custom, running or custom)


def _key(name: str, config: type = TrainConfig) -> str:
    return next(k.key for k in KNOBS if k.config is config and k.name == name)


def chosen() -> tuple[dict, dict]:
    """({TrainConfig field: value}, {ModelConfig field: value}) from the widgets, typed like the fields."""
    ss = st.session_state
    train, model = {}, {}
    for knob in KNOBS:
        if knob.key in ss:
            (model if knob.config is ModelConfig else train)[knob.name] = knob.setting.type(ss[knob.key])
    return train, model
