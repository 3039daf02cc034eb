"""The figures (explorer/components/figures.py): the focused step or cell is outlined, long labels are
shortened on the axes only (never splitting an escaped character), every axis grows to fit its labels,
and each figure says which view produced it."""

from __future__ import annotations

import pytest

from explorer.components import figures

LONG = "<b>a rather long column name of forty ch"  # 40 characters, with markup to escape


def fake_trace(T: int = 3, m: int = 4) -> dict:
    ops = ["sum", "count", "greater", "and", "reset"]
    cols = ["A", LONG]
    steps = [{
        "t": t + 1, "op": ["greater", "and", "count"][t % 3], "column_name": "A" if t % 3 == 0 else None,
        "column_index": 0 if t % 3 == 0 else None,
        "op_probs": [0.2] * len(ops), "col_probs": [0.5, 0.5],
        "rows_soft": [0.5] * m, "rows_hard": [1.0] * m,
        "question_attention": [0.5, 0.5],
    } for t in range(T)]
    return {"ops": ops, "columns": cols, "steps": steps, "n_rows": m, "words": ["greater", LONG]}


FIGS = {
    "ops": lambda tr, focus: figures.ops_figure(tr, "hard", focus=focus),
    "columns": lambda tr, focus: figures.columns_figure(tr, "soft", focus=focus),
    "rows": lambda tr, focus: figures.rows_figure(tr, "hard", focus=focus),
    "words": lambda tr, focus: figures.words_figure(tr, focus=focus),
}


@pytest.mark.parametrize("name", list(FIGS))
def test_focus_outlines_the_step(name):
    tr = fake_trace()
    assert not FIGS[name](tr, None).layout.shapes
    assert not FIGS[name](tr, {"step": 9, "row": None}).layout.shapes  # a stale focus draws nothing
    (shape,) = FIGS[name](tr, {"step": 2, "row": None}).layout.shapes
    assert (shape.x0, shape.x1) == (0.5, 1.5)  # the category t2 spans 0.5..1.5
    assert shape.line.color == figures.FOCUS_COLOR and shape.y0 == -0.5


def test_focus_with_a_row_outlines_one_cell_of_the_row_heatmap():
    tr = fake_trace()
    (shape,) = figures.rows_figure(tr, "hard", focus={"step": 3, "row": 1}).layout.shapes
    assert (shape.x0, shape.x1, shape.y0, shape.y1) == (1.5, 2.5, 0.5, 1.5)
    (whole,) = figures.ops_figure(tr, "hard", focus={"step": 3, "row": 1}).layout.shapes
    assert (whole.y0, whole.y1) == (-0.5, len(tr["ops"]) - 0.5)  # other heatmaps: the whole step


def test_long_labels_are_cut_on_the_axis_only_and_stay_escaped():
    fig = figures.columns_figure(fake_trace(), "hard")
    ticks = list(fig.layout.yaxis.ticktext)
    assert ticks[0] == "A" and len(ticks[1]) <= figures.TICK_CHARS + 6  # &lt; counts 4
    assert ticks[1].startswith("&lt;b&gt;") and ticks[1].endswith("…") and "<" not in ticks[1]
    assert list(fig.layout.yaxis.tickvals) == ["A", "&lt;b&gt;a rather long column name of forty ch"]
    assert figures.tick_text("x" * 40) == "x" * (figures.TICK_CHARS - 1) + "…"
    assert figures.tick_text("short") == "short"


def test_axes_grow_to_fit_their_labels_and_say_the_view():
    tr = fake_trace()
    for fig in (figures.ops_figure(tr, "hard"), figures.rows_figure(tr, "soft"),
                *figures.step_bars(tr["steps"][0], tr, "soft")):
        assert fig.layout.xaxis.automargin and fig.layout.yaxis.automargin
        assert fig.layout.title.subtitle.text in figures.VIEW_NOTE.values()
    ops_bars, col_bars = figures.step_bars(tr["steps"][1], tr, "hard")  # "and": no column
    assert "not used" in col_bars.layout.title.text
    assert figures.CHOSEN_COLOR not in col_bars.data[0].marker.color
    assert list(col_bars.data[0].x) == ["A", "&lt;b&gt;a rather long column name of forty ch"]
    assert "…" in col_bars.layout.xaxis.ticktext[1]
    assert "t2" in ops_bars.layout.title.text and figures.CHOSEN_COLOR in ops_bars.data[0].marker.color
