"""AppTest: the Train page's hyper-parameter widgets come from the config fields (label, help, range said once
in engine/np2016/config.py) and hold the chosen preset's values, and what they hold becomes the run's TrainConfig."""

from __future__ import annotations

from engine.np2016 import presets
from engine.np2016.config import ModelConfig, TrainConfig
from explorer import state, training
from explorer.components.train_settings import KNOBS, PRESET_PICK, resolved
from tests.ui.helpers import new_app, page


def _widget(at, knob):
    if knob.choices or knob.setting.choices:
        kind = "selectbox"
    else:
        kind = "toggle" if knob.setting.type is bool else "number_input"
    return getattr(at, kind)(key=knob.key)


def test_every_widget_is_its_config_field():
    at = page(new_app(), "train")
    assert not at.exception, at.exception
    assert at.radio(key=PRESET_PICK).value == "default"
    values = resolved("default", "single-column", custom=False)
    for knob in KNOBS:
        widget, setting = _widget(at, knob), knob.setting
        assert widget.label == setting.label and widget.help == setting.help, knob.key
        assert widget.value == values[knob.key], knob.key
        if knob.default is None:  # no app override: the very default the command line has
            assert widget.value == getattr(knob.config(), knob.name), knob.key
        if knob.setting.type in (int, float) and not knob.choices:
            assert widget.min == setting.lo and widget.max <= setting.hi, knob.key


def test_the_widgets_values_become_the_runs_config(app_env):
    at = page(new_app(), "train")
    values = {"hp_lr": 0.01, "hp_batch_size": 7, "hp_search_samples": 3, "hp_steps": 4, "hp_eval_every": 2,
              "hp_train_size": 30, "hp_eval_size": 10, "hp_test_size": 0, "hp_model_T": 2}
    for key, value in values.items():
        at.number_input(key=key).set_value(value)
    at.toggle(key="hp_grad_noise").set_value(False)
    at.toggle(key="hp_shuffle_letters").set_value(False)
    at.selectbox(key="hp_model_d").set_value(16)
    at.button(key="train_start").click().run()
    assert not at.exception, at.exception
    job = training.find(at.session_state[state.RUN_OWNER])
    job.thread.join(timeout=60)
    cfg = job.cfg
    assert (cfg.lr, cfg.batch_size, cfg.search_samples, cfg.steps, cfg.eval_every) == (0.01, 7, 3, 4, 2)
    assert (cfg.train_size, cfg.eval_size, cfg.test_size, cfg.grad_noise) == (30, 10, 0, False)
    assert cfg.shuffle_letters is False and cfg.preset == "default"
    assert isinstance(cfg, TrainConfig) and job.model_config.d == 16 and job.model_config.T == 2
    assert cfg.huber_delta == TrainConfig().huber_delta  # an untouched widget: the config's default
    assert isinstance(job.model_config, ModelConfig)


def test_each_preset_has_its_sentence():
    at = page(new_app(), "train")
    radio = at.radio(key=PRESET_PICK)
    assert list(radio.options) == list(presets.NAMES)
    assert list(radio.proto.captions) == [presets.PRESETS[name].description for name in presets.NAMES]
