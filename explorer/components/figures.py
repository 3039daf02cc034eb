"""Every plotly figure the app draws, and `show` to draw one: the heatmaps of a trace (operation × step,
column × step, row selector × step, pivot and word attention) and the Step page's bars.

Every heatmap carries an invisible scatter marker on each cell (hoverinfo="none") because plotly
heatmaps report no click selections in Streamlit (streamlit#8760); a click then returns the marker's
x (the step) and y. `view="hard"` shows the one-hot choices made at test time, "soft" the probabilities.
Plotly renders HTML in labels and hover text, so every label made from a user's column name or question
word goes through `escape.html` (shown as the text typed, never as markup). Long names are shortened on
the axes only (`tick_text`; the hover shows them whole), and every axis grows its margin to fit its
labels (automargin), so no label is cut. `focus` ({"step": t, "row": r or None}, the clicked cell) is
outlined on the step heatmaps.
"""

from __future__ import annotations

import html as _html

import plotly.graph_objects as go
import streamlit as st

from engine.np2016.program import op_label
from explorer import escape

SCALE = "Blues"
FOCUS_COLOR = "#d62728"  # the outline of the focused (clicked) step or cell
CHOSEN_COLOR = "#d62728"  # the bar of the chosen operation / column
TICK_CHARS = 16  # longer axis labels are shortened (with …) so the plot keeps its width
MARGIN = {"l": 10, "r": 10, "t": 40, "b": 10}  # automargin grows these to fit the labels
SUBTITLE_TOP = 66  # the top margin when the title has a subtitle line
VIEW_NOTE = {"hard": "hard: the test-time choices", "soft": "soft: the training-time probabilities"}


def step_labels(trace: dict) -> list[str]:
    return [f"t{s['t']}" for s in trace["steps"]]


def tick_text(label: str, limit: int = TICK_CHARS) -> str:
    """An axis label cut to `limit` characters (… at the end); the hover keeps the whole label."""
    return label if len(label) <= limit else label[: limit - 1] + "…"


def title_of(title: str, view: str | None) -> dict:
    """A title whose subtitle names the view that produced the figure (no user text here)."""
    out = {"text": title, "font": {"size": 14}}
    if view is not None:
        out["subtitle"] = {"text": VIEW_NOTE[view], "font": {"size": 11, "color": "#666"}}
    return out


def ticks(labels: list[str]) -> list[str]:
    """Axis texts of labels already escaped for plotly: shortened on the text typed, then escaped again (so
    the cut never splits an entity such as &lt;)."""
    return [escape.html(tick_text(_html.unescape(str(v)))) for v in labels]


def outline(fig: go.Figure, n_x: int, n_y: int, focus: dict | None, row_axis: bool = False) -> go.Figure:
    """Outline the focused step (a whole column of cells) or, on the row heatmap, the focused cell."""
    if not focus or not 1 <= int(focus.get("step") or 0) <= n_x:
        return fig
    x = int(focus["step"]) - 1
    row = focus.get("row") if row_axis else None
    y0, y1 = (row - 0.5, row + 0.5) if row is not None and 0 <= row < n_y else (-0.5, n_y - 0.5)
    fig.add_shape(
        type="rect", x0=x - 0.5, x1=x + 0.5, y0=y0, y1=y1, xref="x", yref="y",
        line={"color": FOCUS_COLOR, "width": 3}, fillcolor="rgba(0,0,0,0)", layer="above",
    )
    return fig


def heatmap(
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
    view: str | None = None,
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
        title=title_of(title, view),
        height=(height or max(180, 70 + 26 * len(y))) + (SUBTITLE_TOP - MARGIN["t"] if view else 0),
        margin={**MARGIN, "t": SUBTITLE_TOP if view else MARGIN["t"]},
        xaxis_title=xlabel,
        clickmode="event+select",
        dragmode=False,
    )
    fig.update_xaxes(type="category", side="bottom", automargin=True, showgrid=False)
    fig.update_yaxes(
        type="category",
        autorange="reversed" if reverse_y else True,
        automargin=True,
        showgrid=False,
        tickmode="array",
        tickvals=list(y),
        ticktext=ticks(y),
    )
    return fig


def ops_figure(trace: dict, view: str, focus: dict | None = None, title: str = "Operation × step",
               label=None) -> go.Figure:
    """Operation × step: the chosen operation (hard) or the probabilities (soft); `label` names an operation on
    the axis (default op_label, the 2016 model's; the 2017 model's figures pass their own title and names)."""
    ops, steps = trace["ops"], trace["steps"]
    if view == "soft":
        z = [[s["op_probs"][i] for s in steps] for i in range(len(ops))]
    else:
        z = [[1.0 if s["op"] == op else 0.0 for s in steps] for op in ops]
    fig = heatmap(z, step_labels(trace), [(label or op_label)(o) for o in ops], title, "step", "operation",
                   view=view)
    return outline(fig, len(steps), len(ops), focus)


def columns_figure(trace: dict, view: str, focus: dict | None = None, title: str = "Column × step",
                   labels: list[str] | None = None) -> go.Figure:
    """Column × step: the column each step uses (hard; blank at a step whose operation takes none) or the
    column probabilities (soft; a column the model cannot pick has None, drawn blank). `labels` are the axis
    names, already escaped (default: the column names)."""
    cols, steps = trace["columns"], trace["steps"]
    if view == "soft":
        z = [[s["col_probs"][j] for s in steps] for j in range(len(cols))]
    else:
        z = [[1.0 if s["column_index"] == j else 0.0 for s in steps] for j in range(len(cols))]
    fig = heatmap(z, step_labels(trace), labels or [escape.html(c) for c in cols], title, "step", "column",
                  view=view)
    return outline(fig, len(steps), len(cols), focus)


def rows_figure(trace: dict, view: str, focus: dict | None = None) -> go.Figure:
    """Row selector after each step: one row per table row (capped at 200 rows for speed)."""
    key = "rows_soft" if view == "soft" else "rows_hard"
    m = min(trace["n_rows"], 200)
    z = [[min(max(s[key][r], 0.0), 1.0) for s in trace["steps"]] for r in range(m)]
    title = "Row selector × step" + (f" (first {m} rows)" if trace["n_rows"] > m else "")
    fig = heatmap(
        z,
        step_labels(trace),
        [f"row {r}" for r in range(m)],
        title,
        "step",
        "row",
        height=max(200, 80 + min(m, 30) * 18),
        view=view,
    )
    return outline(fig, len(trace["steps"]), m, focus, row_axis=True)


def pivot_figure(trace: dict) -> go.Figure | None:
    """Attention of the comparison operations over the question's numbers."""
    pivots = trace["extra"].get("pivots")
    if not pivots or not trace["numbers"]:
        return None
    ops = list(pivots)
    nums = [f"{n:g}" for n in trace["numbers"]]
    z = [[pivots[op]["attention"][i] for i in range(len(nums))] for op in ops]
    return heatmap(
        z, nums, ops, "Pivot: which number each comparison uses", "number", "comparison", height=190
    )


def words_figure(trace: dict, focus: dict | None = None) -> go.Figure | None:
    """Question-word attention at each step (models with question attention; always soft)."""
    steps = trace["steps"]
    if not steps or steps[0]["question_attention"] is None or not trace["words"]:
        return None
    words = [escape.html(f"{i + 1}:{w}") for i, w in enumerate(trace["words"])]
    z = [[s["question_attention"][i] for s in steps] for i in range(len(words))]
    fig = heatmap(z, step_labels(trace), words, "Question-word attention × step", "step", "word")
    return outline(fig, len(steps), len(words), focus)


def step_bars(step: dict, trace: dict, view: str) -> tuple[go.Figure, go.Figure]:
    """Bars of the op and column distributions of one step (Step through page).

    At a step whose operation takes no column the column bars are grey and their title says the choice
    is not used (the model computes a column distribution at every step)."""
    ops, cols = [op_label(o) for o in trace["ops"]], [escape.html(c) for c in trace["columns"]]
    if view == "soft":
        p_op, p_col = step["op_probs"], step["col_probs"]
    else:
        p_op = [1.0 if o == step["op"] else 0.0 for o in trace["ops"]]
        p_col = [1.0 if j == step["column_index"] else 0.0 for j in range(len(cols))]
    uses_column = step["column_name"] is not None
    t = f"t{step['t']}"
    column_title = (f"Column probabilities at {t}" if uses_column
                    else f"Column probabilities at {t}: not used (“{op_label(step['op'])}” takes no column)")
    figs = []
    for title, names, p, chosen, color in (
        (f"Operation probabilities at {t}", ops, p_op, op_label(step["op"]), "#1f77b4"),
        (column_title, cols, p_col, escape.html(step["column_name"]) if uses_column else None,
         "#1f77b4" if uses_column else "#b0b0b0"),
    ):
        colors = [CHOSEN_COLOR if n == chosen else color for n in names]
        fig = go.Figure(
            go.Bar(x=names, y=p, marker_color=colors, hovertemplate="%{x}: %{y:.3f}<extra></extra>")
        )
        fig.update_layout(
            title=title_of(title, view),
            height=300,
            margin={**MARGIN, "t": SUBTITLE_TOP},
            yaxis_range=[0, 1.02],
        )
        fig.update_xaxes(automargin=True, tickmode="array", tickvals=names,
                         ticktext=ticks(names))
        fig.update_yaxes(automargin=True, title_text="probability")
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
