"""The Train page's preset choice and hyper-parameter widgets, generated from the config fields (`settings`: each
field's label, help, type and range said once) and the presets. KNOBS says which fields the page offers, in what
order, and where the app differs from the command line: shorter runs and smaller data by default (a shared server's
two cores), a few tighter bounds. The bounds hold each setting alone: a combination of large ones can still need more
memory than one run may have, so the page shows the run's estimated memory (`_memory`); training.start refuses it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import streamlit as st

from engine.core.settings import Setting, settings
from engine.core.vocab import Vocab
from engine.np2016 import memory_estimate, presets
from engine.np2016.config import ModelConfig, TrainConfig
from engine.np2016.data import tasks as data
from explorer import escape

SETTINGS = {cls: {s.name: s for s in settings(cls)} for cls in (TrainConfig, ModelConfig)}
PRESET_PICK = "hp_preset"
FILLED_FOR = "hp_filled_for"  # (preset, task, custom) the widgets were last set for
ss = st.session_state


@dataclass(frozen=True)
class Knob:
    """One widget: a config field, with the app's default, bound, choices or format where they differ."""

    config: type  # TrainConfig or ModelConfig
    name: str
    default: Any = None  # the app's value where the preset names none (None: the preset's resolved value)
    custom_default: Any = None  # the same when fine-tuning on the custom set (None: as `default`)
    hi: float | None = None  # a tighter upper bound than the config's
    choices: tuple | None = None
    fmt: str | None = None
    step: float | None = None
    group: str = "main"  # "main" (the grid), "method" (what the method adds) or "data" (data sizes)

    @property
    def setting(self) -> Setting:
        return SETTINGS[self.config][self.name]

    @property
    def key(self) -> str:
        """The widget's session-state key: hp_<field>, hp_model_<field> for the model's fields."""
        return f"hp_{'model_' if self.config is ModelConfig else ''}{self.name}"


def _knobs(group: str, names: str, **special: dict) -> tuple[Knob, ...]:
    """The knobs of `group` in the page's order; `special` gives a field's options where the app differs."""
    return tuple(Knob(next(c for c in SETTINGS if name in SETTINGS[c]), name, group=group, **special.get(name, {}))
                 for name in names.split())


KNOBS = (
    _knobs("main", "T d lr batch_size grad_noise noise_eta clip adam_eps huber_delta lookup_weight seed steps "
           "eval_every", T={"hi": 8}, d={"choices": (16, 32, 64, 128, 256)}, lr={"fmt": "%.5f", "step": 1e-3},
           batch_size={"hi": 500}, noise_eta={"hi": 1.0, "fmt": "%.4f"}, adam_eps={"fmt": "%.1e"},
           steps={"default": 1000, "custom_default": 200, "hi": 100_000},
           eval_every={"default": 100, "custom_default": 50, "hi": 10_000})
    + _knobs("method", "soft_loss search_samples search_weight search_epsilon search_memory name_match name_dropout "
             "step_embedding init_scale balanced_lookup shuffle_letters ordered_pivots lone_column_name text_match "
             "product_logic temperature temperature_steps selection_noise bidirectional question_attention",
             search_samples={"hi": 256}, search_memory={"hi": 16}, temperature={"hi": 20.0},
             temperature_steps={"hi": 100_000}, selection_noise={"hi": 10.0})
    + _knobs("data", "train_size eval_size test_size", train_size={"default": 5000, "hi": 50_000},
             eval_size={"default": 300, "hi": 5000}, test_size={"default": 300, "hi": 5000})
)
MODEL_SHAPE = ("T", "d")  # the ModelConfig fields a fine-tuned checkpoint fixes (all are: these are shown)


def resolved(preset: str, task: str, custom: bool) -> dict[str, Any]:
    """{widget key: value} of every knob for `preset` on `task`: the preset's resolved value, or the app's
    own default (a shorter run, less data) for the fields the preset leaves at the config's default."""
    chosen = presets.PRESETS[preset]
    named = {TrainConfig: set(chosen.train), ModelConfig: set(chosen.model(data.TASKS[task]))}
    configs = {TrainConfig: presets.train_config(preset, task),
               ModelConfig: presets.model_config(preset, task, len(Vocab(data.vocabulary(task))))}
    out = {}
    for knob in KNOBS:
        app_default = knob.custom_default if custom and knob.custom_default is not None else knob.default
        own = app_default is not None and knob.name not in named[knob.config]
        out[knob.key] = knob.setting.type(app_default if own else getattr(configs[knob.config], knob.name))
    return out


def _fill(preset: str, task: str, custom: bool) -> None:
    """Set the widgets to the preset's values: all of them when the preset, task or custom choice changed,
    otherwise only those Streamlit dropped (a widget not drawn on the last run loses its state)."""
    values = resolved(preset, task, custom)
    changed = ss.get(FILLED_FOR) != (preset, task, custom)
    for key, value in values.items():
        if changed or key not in ss:
            ss[key] = value
    ss[FILLED_FOR] = (preset, task, custom)


def _widget(container, knob: Knob, disabled: bool) -> None:
    """The knob's widget; its value is already in session state (set by _fill), so none is passed here."""
    s = knob.setting
    common = {"key": knob.key, "help": s.help, "disabled": disabled}
    if knob.choices or s.choices:
        container.selectbox(s.label, list(knob.choices or s.choices), **common)
    elif s.type is bool:
        container.toggle(s.label, **common)
    else:
        hi = s.hi if knob.hi is None else knob.hi
        step = knob.step if knob.step is not None else (1 if s.type is int else None)
        container.number_input(s.label, None if s.lo is None else s.type(s.lo), None if hi is None else s.type(hi),
                               step=step, format=knob.fmt, **common)


def _grid(knobs: list[Knob], *, disabled: bool, base) -> None:
    """Knobs four to a row; a fine-tuned checkpoint (`base`) shows its fixed shape instead of model knobs."""
    if base is not None:
        knobs = [k for k in knobs if k.config is not ModelConfig or k.name in MODEL_SHAPE]
    for row in range(0, len(knobs), 4):
        for column, knob in zip(st.columns(4), knobs[row:row + 4], strict=False):
            if base is not None and knob.config is ModelConfig:
                column.metric(knob.setting.label, getattr(base, knob.name), help="fixed by the checkpoint being "
                              "fine-tuned")
                continue
            off = knob.name == "noise_eta" and not ss.get(Knob(TrainConfig, "grad_noise").key, True)
            _widget(column, knob, disabled or off)


def draw(*, running: bool, custom: bool, task: str, base=None) -> None:
    """The preset choice, then the widgets; `base` (a checkpoint entry being fine-tuned) fixes the model."""
    if ss.get(PRESET_PICK) not in presets.NAMES:  # first visit, or the radio was not drawn on the last run
        filled = ss.get(FILLED_FOR)
        ss[PRESET_PICK] = filled[0] if filled else presets.NAMES[0]
    st.radio("Preset: how to train", presets.NAMES, key=PRESET_PICK, disabled=running,
             captions=[presets.PRESETS[name].description for name in presets.NAMES],
             help="Choosing a preset (or another task) sets every value below to the preset's; any of them "
             "can then be changed. The checkpoint records the preset and every value.")
    _fill(ss[PRESET_PICK], task, custom)
    _grid([k for k in KNOBS if k.group == "main"], disabled=running, base=base)
    with st.expander("The method: what is added to the paper's gradient descent (each one a switch)"):
        if base is not None:
            st.caption("The model's own switches are fixed by the checkpoint being fine-tuned.")
        _grid([k for k in KNOBS if k.group == "method"], disabled=running, base=base)
    with st.expander("Data sizes"):
        sizes = [k for k in KNOBS if k.group == "data"]
        for column, knob in zip(st.columns(len(sizes)), sizes, strict=True):
            # a fine-tuning trains and validates on the custom set, but scores fresh test questions of the
            # checkpoint's task before and after (explorer/fine_tune_scores.py): only their number applies
            _widget(column, knob, running or (custom and knob.name != "test_size"))
        if custom:
            st.caption("Fine-tuning trains and validates on the custom set; the test examples are fresh questions "
                       "of the checkpoint's own task, scored before and after, so that forgetting shows.")
        else:
            sizes_box = st.container()  # under the sizes: the run's estimated memory (filled by _memory)
    if not custom:
        _memory(task, caption_in=sizes_box)


def run_config(task: str) -> tuple[TrainConfig, dict]:
    """The run the widgets describe on `task`: its TrainConfig and {ModelConfig field: value} (ValueError or
    TypeError while a value is invalid)."""
    train, model = {}, {}
    for knob in KNOBS:
        if knob.key in ss:
            (model if knob.config is ModelConfig else train)[knob.name] = knob.setting.type(ss[knob.key])
    preset = ss.get(PRESET_PICK)
    return presets.train_config(preset if preset in presets.NAMES else presets.NAMES[0], task, **train), model


def _memory(task: str, caption_in) -> None:
    """The run's estimated memory beside the budget (so a teacher sees how close a setting comes to it), and which
    settings to lower when it is over (training.start refuses the same run). Nothing while a value is invalid."""
    try:
        cfg, model_values = run_config(task)
        d, T = memory_estimate.model_shape(cfg, model_values)
    except (ValueError, TypeError):  # an invalid value
        return
    needed, budget = memory_estimate.estimate(cfg, d, T).run_mb, memory_estimate.run_budget_mb()
    caption_in.caption(f"Memory this run needs: about {needed:,.0f} MB of the {budget:,.0f} MB one run may use on "
                       "this server (estimated from measured runs: engine/np2016/memory_estimate.py).")
    if needed > budget:
        try:  # over the budget: check_memory's message says which settings to lower
            memory_estimate.check_memory(cfg, model_values, budget_mb=budget)
        except ValueError as e:
            st.error(escape.md(e))
