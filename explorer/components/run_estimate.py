"""The Train page's estimate of a run's time, next to Start: measured (a few real training steps at the run's batch
size, one evaluation, a few generated examples: engine/np2016/estimate.py), kept per settings ESTIMATE_TTL seconds."""

from __future__ import annotations

import json

import streamlit as st

from engine.np2016.config import TrainConfig
from engine.np2016.estimate import MAX_TIMED_STEPS, Estimate, measure
from explorer import checkpoints, escape

ESTIMATE_TTL = 600.0  # seconds a measurement is reused: the machine's load changes, the settings' cost does not


def duration(seconds: float | None) -> str:
    """12 s, 3 min 05 s, 1 h 02 min; "…" when not known yet."""
    if seconds is None:
        return "…"
    seconds = int(round(seconds))
    if seconds >= 3600:
        return f"{seconds // 3600} h {seconds % 3600 // 60:02d} min"
    return f"{seconds // 60} min {seconds % 60:02d} s" if seconds >= 60 else f"{seconds} s"


@st.cache_data(ttl=ESTIMATE_TTL, max_entries=64, show_spinner=False)
def _measured(cfg_json: str, model_json: str, base_path: str | None, base_mtime: float | None,
              custom_json: str | None) -> Estimate:
    """The measurement for these settings (the arguments, JSON and the checkpoint's path and time, are the key)."""
    cfg = TrainConfig.from_dict(json.loads(cfg_json))
    if base_path is None:
        from engine.core.vocab import Vocab
        from engine.np2016 import presets
        from engine.np2016.data import tasks as data

        model_config = presets.model_config(cfg.preset, cfg.task, len(Vocab(data.vocabulary(cfg.task))),
                                            **json.loads(model_json))
        return measure(cfg, model_config)
    entry = next(e for e in checkpoints.list_checkpoints() if e.path == base_path)
    model, vocab, _ = checkpoints.load(entry)  # the shared copy: measure() trains a deep copy of it
    # fine-tuning scores the fresh test set twice: before and after (explorer/fine_tune_scores.py)
    return measure(cfg, init=(model, vocab), examples=json.loads(custom_json or "[]"), tests=2)


def breakdown(estimate: Estimate) -> str:
    """Where the time goes, and how it was measured (the estimate's help text)."""
    parts = [f"data {duration(estimate.data_seconds)}" if estimate.data_seconds else None,
             f"{estimate.steps} steps × {estimate.step_seconds:.3f} s = "
             f"{duration(estimate.steps * estimate.step_seconds)}",
             f"{estimate.evaluations} validations × {estimate.eval_seconds:.2f} s" if estimate.evaluations else None,
             f"test questions {duration(estimate.test_seconds)}" if estimate.test_seconds else None,
             f"compiling about {duration(estimate.compile_seconds)} (not measured)"
             if estimate.compile_seconds else None]
    return ("Measured just now: " + "; ".join(p for p in parts if p) + f". The step time is the mean of "
            f"{estimate.timed_steps} real training steps of this model at this batch size (of at most "
            f"{MAX_TIMED_STEPS}, after one warm-up step); another run on the server or a busy machine makes "
            "the run slower. During the run the ETA is re-measured from its own steps.")


def draw(container, cfg: TrainConfig, model_settings: dict, base=None, custom: list[dict] | None = None
         ) -> float | None:
    """The estimate as a caption in `container`; its total in seconds (None when it could not be measured)."""
    key = (json.dumps(cfg.to_dict(), sort_keys=True), json.dumps(model_settings, sort_keys=True),
           base.path if base is not None else None, base.mtime if base is not None else None,
           json.dumps(custom) if base is not None else None)
    try:
        with container, st.spinner("Timing a few training steps of this model…"):
            estimate = _measured(*key)
    except Exception as e:  # noqa: BLE001 - an estimate is a convenience: say why there is none, train anyway
        container.caption(f"No time estimate: {escape.md(e)}")
        return None
    container.caption(f"Estimated time: about **{duration(estimate.total)}**", help=escape.md(breakdown(estimate)))
    return estimate.total
