"""The Train page's loss and accuracy charts keep their axis labels inside the figure (issue 11: they were
clipped, with 10 px margins and the legend pushed below the x axis) and name the settings that produced them."""

from __future__ import annotations

import json

from engine.np2016.config import TrainConfig
from explorer import state, training
from explorer.components.progress_panel import CHART_MARGIN, curves, run_settings
from tests.ui.helpers import new_app, page

SNAP = {"losses": [(1, 5.0), (2, 4.0), (3, 3.5)], "evals": [(2, 0.25, 0.2), (3, 0.5, 0.4)]}
CFG = TrainConfig(task="single-column", steps=4, batch_size=5, train_size=40, eval_size=10, test_size=0,
                  eval_every=2, threads=1, search_samples=2, seed=7)


def _check_room(layout: dict) -> None:
    margin = layout["margin"]
    assert margin["l"] >= 50 and margin["b"] >= 40 and margin["t"] >= 50, margin  # tick labels + a title fit
    for axis in ("xaxis", "yaxis"):
        assert layout[axis]["automargin"] is True, axis  # longer tick labels (1e+04) grow the margin
        assert layout[axis]["title"]["text"], axis
    legend = layout.get("legend", {})
    assert 0 <= legend.get("y", 1) <= 1 and legend.get("yanchor") == "top", legend  # in the plot, not under it


def test_both_charts_leave_room_for_their_axis_labels_and_name_their_settings():
    settings = run_settings(CFG)
    assert "seed 7" in settings and "single-column" in settings and "batch 5" in settings
    for fig in curves(SNAP, settings):
        layout = fig.to_plotly_json()["layout"]
        _check_room(layout)
        assert settings in layout["title"]["text"]
    assert CHART_MARGIN["l"] >= 50


def test_the_charts_drawn_on_the_train_page_keep_that_room(app_env):
    at = page(new_app(), "train")
    owner = training.new_owner()
    at.session_state[state.RUN_OWNER] = owner
    job = training.start(owner, CFG, app_env)
    job.thread.join(timeout=60)
    at.run()
    assert not at.exception, at.exception
    charts = [json.loads(el.proto.spec) for el in at.get("plotly_chart")]
    titled = [c for c in charts if "Training loss" in c["layout"].get("title", {}).get("text", "")
              or "Accuracy" in c["layout"].get("title", {}).get("text", "")]
    assert len(titled) == 2, [c["layout"].get("title") for c in charts]
    for chart in titled:
        _check_room(chart["layout"])
