"""Every plotly figure the app draws, and `show` to draw one: the heatmaps of a trace (operation × step,
column × step, row selector × step, pivot and word attention) and the Step page's bars.

Every heatmap carries an invisible scatter marker on each cell (hoverinfo="none") because plotly
heatmaps report no click selections in Streamlit (streamlit#8760); a click then returns the marker's
x (the step) and y. `view="hard"` shows the one-hot choices made at test time, "soft" the probabilities.
Plotly renders HTML in labels and hover text, so every label made from a user's column name or question
word goes through `escape.html` (shown as the text typed, never as markup).
"""

from __future__ import annotations

import plotly.graph_objects as go
import streamlit as st

from engine.program import op_label
from explorer import escape

SCALE = "Blues"


def step_labels(trace: dict) -> list[str]:
    return [f"t{s['t']}" for s in trace["steps"]]


def _heatmap(
    z,
    x,
    y,
    title: str,
    xlabel: str,
    ylabel: str,
    text=None,
    height: int | None = None,
    reverse_y: bool = True,
    zmax: float = 1.0,
) -> go.Figure:
    fig = go.Figure(
        go.Heatmap(
            z=z,
            x=x,
            y=y,
            zmin=0,
            zmax=zmax,
            colorscale=SCALE,
            text=text,
            hovertemplate=f"{xlabel} %{{x}}<br>{ylabel} %{{y}}<br>%{{z:.3f}}<extra></extra>",
            colorbar={"thickness": 10, "len": 0.9},
        )
    )
    xs = [xi for _ in y for xi in x]
    ys = [yi for yi in y for _ in x]
    fig.add_trace(
        go.Scatter(
            x=xs,
            y=ys,
            mode="markers",
            hoverinfo="none",
            showlegend=False,
            marker={"size": 18, "opacity": 0, "symbol": "square"},
        )
    )
    fig.update_layout(
        title={"text": title, "font": {"size": 14}},
        height=height or max(180, 70 + 26 * len(y)),
        margin={"l": 10, "r": 10, "t": 40, "b": 10},
        xaxis_title=xlabel,
        clickmode="event+select",
        dragmode=False,
    )
    fig.update_xaxes(type="category", side="bottom", automargin=True, showgrid=False)
    fig.update_yaxes(
        type="category", autorange="reversed" if reverse_y else True, automargin=True, showgrid=False
    )
    return fig


def ops_figure(trace: dict, view: str) -> go.Figure:
    ops, steps = trace["ops"], trace["steps"]
    if view == "soft":
        z = [[s["op_probs"][i] for s in steps] for i in range(len(ops))]
    else:
        z = [[1.0 if s["op"] == op else 0.0 for s in steps] for op in ops]
    return _heatmap(
        z, step_labels(trace), [op_label(o) for o in ops], "Operation × step", "step", "operation"
    )


def columns_figure(trace: dict, view: str) -> go.Figure:
    cols, steps = trace["columns"], trace["steps"]
    if view == "soft":
        z = [[s["col_probs"][j] for s in steps] for j in range(len(cols))]
    else:
        z = [[1.0 if s["column_index"] == j else 0.0 for s in steps] for j in range(len(cols))]
    return _heatmap(z, step_labels(trace), [escape.html(c) for c in cols], "Column × step", "step", "column")


def rows_figure(trace: dict, view: str) -> go.Figure:
    """Row selector after each step: one row per table row (capped at 200 rows for speed)."""
    key = "rows_soft" if view == "soft" else "rows_hard"
    m = min(trace["n_rows"], 200)
    z = [[min(max(s[key][r], 0.0), 1.0) for s in trace["steps"]] for r in range(m)]
    title = "Row selector × step" + (f" (first {m} rows)" if trace["n_rows"] > m else "")
    return _heatmap(
        z,
        step_labels(trace),
        [f"row {r}" for r in range(m)],
        title,
        "step",
        "row",
        height=max(200, 80 + min(m, 30) * 18),
    )


def pivot_figure(trace: dict) -> go.Figure | None:
    """Attention of the comparison operations over the question's numbers."""
    if not trace["pivots"] or not trace["numbers"]:
        return None
    ops = list(trace["pivots"])
    nums = [f"{n:g}" for n in trace["numbers"]]
    z = [[trace["pivots"][op]["attention"][i] for i in range(len(nums))] for op in ops]
    return _heatmap(
        z, nums, ops, "Pivot: which number each comparison uses", "number", "comparison", height=190
    )


def words_figure(trace: dict) -> go.Figure | None:
    """Question-word attention at each step (models with question attention)."""
    steps = trace["steps"]
    if not steps or steps[0]["question_attention"] is None or not trace["words"]:
        return None
    words = [escape.html(f"{i + 1}:{w}") for i, w in enumerate(trace["words"])]
    z = [[s["question_attention"][i] for s in steps] for i in range(len(words))]
    return _heatmap(z, step_labels(trace), words, "Question-word attention × step", "step", "word")


def step_bars(step: dict, trace: dict, view: str) -> tuple[go.Figure, go.Figure]:
    """Bars of the op and column distributions of one step (Step through page)."""
    ops, cols = [op_label(o) for o in trace["ops"]], [escape.html(c) for c in trace["columns"]]
    if view == "soft":
        p_op, p_col = step["op_probs"], step["col_probs"]
    else:
        p_op = [1.0 if o == step["op"] else 0.0 for o in trace["ops"]]
        p_col = [1.0 if j == step["column_index"] else 0.0 for j in range(len(cols))]
    figs = []
    for title, names, p, chosen in (
        ("Operation", ops, p_op, op_label(step["op"])),
        ("Column", cols, p_col, None if step["column"] is None else escape.html(step["column"])),
    ):
        colors = ["#d62728" if n == chosen else "#1f77b4" for n in names]
        fig = go.Figure(
            go.Bar(x=names, y=p, marker_color=colors, hovertemplate="%{x}: %{y:.3f}<extra></extra>")
        )
        fig.update_layout(
            title={"text": f"{title} probabilities at step {step['t']}", "font": {"size": 14}},
            height=260,
            margin={"l": 10, "r": 10, "t": 40, "b": 10},
            yaxis_range=[0, 1.02],
        )
        figs.append(fig)
    return figs[0], figs[1]


def show(fig: go.Figure, key: str, image_format: str = "png", clickable: bool = True, name: str = "heatmap"):
    """Draw a figure; its camera button downloads it as PNG or SVG. Returns the selection event."""
    config = {
        "displaylogo": False,
        "modeBarButtonsToRemove": ["lasso2d", "select2d"],
        "toImageButtonOptions": {"format": image_format, "filename": name, "scale": 2},
    }
    if clickable:
        return st.plotly_chart(
            fig, key=key, on_select="rerun", selection_mode="points", config=config, theme=None
        )
    st.plotly_chart(fig, key=key, config=config, theme=None)
    return None


def clicked_point(event) -> dict | None:
    """The first clicked point of a selection event ({"x", "y"}), read with dict keys (AppTest-friendly)."""
    try:
        points = event["selection"]["points"]
    except (KeyError, TypeError):
        return None
    return points[0] if points else None
