"""The figures (explorer/components/figures.py): the focused step or cell is outlined, long labels are
shortened on the axes only (never splitting an escaped character), every axis grows to fit its labels,
and each figure says which view produced it; one set of figures draws both families' traces."""

from __future__ import annotations

import pytest

from explorer import escape
from explorer.components import figures

LONG = "<b>a rather long column name of forty ch"  # 40 characters, with markup to escape


FAMILIES = ("np2016", "wtq2017")


def fake_trace(T: int = 3, m: int = 4, family: str = "np2016") -> dict:
    ops = ["sum", "count", "greater", "and", "reset"]
    cols = ["A", LONG]
    steps = [{
        "t": t + 1, "op": ["greater", "and", "count"][t % 3], "column_name": "A" if t % 3 == 0 else None,
        "column_index": 0 if t % 3 == 0 else None,
        "op_probs": [0.2] * len(ops), "col_probs": [0.5, 0.5],
        "rows_soft": [0.5] * m, "rows_hard": [1.0] * m,
        "question_attention": [0.5, 0.5],
    } for t in range(T)]
    extra = {"selectable": [True, True]} if family == "wtq2017" else {}
    return {"family": family, "ops": ops, "columns": cols, "steps": steps, "n_rows": m, "words": ["greater", LONG],
            "extra": extra}


FIGS = {
    "ops": lambda tr, focus: figures.ops_figure(tr, "hard", focus=focus),
    "columns": lambda tr, focus: figures.columns_figure(tr, "soft", focus=focus),
    "rows": lambda tr, focus: figures.rows_figure(tr, "hard", focus=focus),
    "words": lambda tr, focus: figures.words_figure(tr, focus=focus),
}


@pytest.mark.parametrize("family", FAMILIES)
@pytest.mark.parametrize("name", list(FIGS))
def test_focus_outlines_the_step(name, family):
    tr = fake_trace(family=family)
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


@pytest.mark.parametrize("family", FAMILIES)
def test_long_labels_are_cut_on_the_axis_only_and_stay_escaped(family):
    fig = figures.columns_figure(fake_trace(family=family), "hard")
    ticks = list(fig.layout.yaxis.ticktext)
    assert ticks[0] == "A" and len(ticks[1]) <= figures.TICK_CHARS + 6  # &lt; counts 4
    assert ticks[1].startswith("&lt;b&gt;") and ticks[1].endswith("…") and "<" not in ticks[1]
    assert list(fig.layout.yaxis.tickvals) == ["A", "&lt;b&gt;a rather long column name of forty ch"]
    assert figures.tick_text("x" * 40) == "x" * (figures.TICK_CHARS - 1) + "…"
    assert figures.tick_text("short") == "short"


@pytest.mark.parametrize("family", FAMILIES)
def test_axes_grow_to_fit_their_labels_and_say_the_view(family):
    tr = fake_trace(family=family)
    for fig in (figures.ops_figure(tr, "hard"), figures.rows_figure(tr, "soft"), *figures.step_bars(tr, 1, "soft")):
        assert fig.layout.xaxis.automargin and fig.layout.yaxis.automargin
        assert fig.layout.title.subtitle.text in figures.VIEW_NOTE.values()
    ops_bars, col_bars = figures.step_bars(tr, 2, "hard")  # "and": no column
    assert "not used" in col_bars.layout.title.text
    assert figures.CHOSEN_COLOR not in col_bars.data[0].marker.color
    assert list(col_bars.data[0].customdata) == ["A", "&lt;b&gt;a rather long column name of forty ch"]
    assert "…" in col_bars.layout.xaxis.ticktext[1]
    assert "t2" in ops_bars.layout.title.text and figures.CHOSEN_COLOR in ops_bars.data[0].marker.color


def test_each_title_names_the_2017_model_and_only_it():
    for family, note in (("np2016", None), ("wtq2017", "(2017 model)")):
        tr = fake_trace(family=family)
        figs = (figures.ops_figure(tr, "hard"), figures.columns_figure(tr, "hard"), *figures.step_bars(tr, 1, "hard"))
        for fig in figs:
            assert (note in fig.layout.title.text) if note else "2017" not in fig.layout.title.text
    words = figures.words_figure(fake_trace(family="wtq2017"), how="<i>how</i>")
    assert words.layout.title.text == "Question-word attention × step (2017 model, &lt;i&gt;how&lt;/i&gt;)"
    assert figures.words_figure(fake_trace()).layout.title.text == "Question-word attention × step"


def test_the_2017_word_colours_go_up_to_the_largest_weight():
    assert figures.words_figure(fake_trace()).data[0].zmax == 1.0
    assert figures.words_figure(fake_trace(family="wtq2017")).data[0].zmax == 0.5


def test_a_column_the_model_cannot_pick_is_labelled_and_escaped():
    tr = fake_trace(family="wtq2017")
    tr["extra"]["selectable"] = [True, False]
    for s in tr["steps"]:
        s["col_probs"] = [0.5, None]
    assert figures.column_labels(tr) == ["A", escape.html(LONG) + figures.NOT_SELECTABLE]
    assert list(figures.columns_figure(tr, "soft").data[0].z[1]) == [None, None, None]  # no probability: blank
    assert list(figures.step_bars(tr, 1, "soft")[1].data[0].y) == [0.5, 0.0]  # and no bar
