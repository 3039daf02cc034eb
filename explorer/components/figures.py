"""Every plotly figure the app draws (a trace's heatmaps, the Step page's bars, the charts' layout) and `show`.

Every heatmap carries an invisible scatter marker on each cell (hoverinfo="none"): plotly heatmaps report no click
selections in Streamlit (streamlit#8760), so a click returns the marker's x (the step) and y. Plotly renders HTML in
labels and hover text, so every label made from a user's column name or question word goes through `escape.html`.
Long names are shortened on the axes only (the hover shows them whole)."""

from __future__ import annotations

import html as _html

import plotly.graph_objects as go
import streamlit as st

from engine.np2016.program import op_label
from explorer import escape
from explorer.components.step_explain import choice_probs

SCALE = "Blues"
FOCUS_COLOR = "#d62728"  # the outline of the focused (clicked) step or cell
CHOSEN_COLOR = "#d62728"  # the bar of the chosen operation / column
TICK_CHARS = 16  # longer axis labels are shortened (with …) so the plot keeps its width
MARGIN = {"l": 10, "r": 10, "t": 40, "b": 10}  # automargin grows these to fit the labels
SUBTITLE_TOP = 66  # the top margin when the title has a subtitle line
MAX_LOG_TICKS = 8  # a log axis with at most this many distinct values is ticked at each one
VIEW_NOTE = {"hard": "hard: the test-time choices", "soft": "soft: the training-time probabilities"}


def step_labels(trace: dict) -> list[str]:
    return [f"t{s['t']}" for s in trace["steps"]]


def tick_text(label: str) -> str:
    """An axis label cut to TICK_CHARS characters (… at the end); the hover keeps the whole label."""
    return label if len(label) <= TICK_CHARS else label[: TICK_CHARS - 1] + "…"


def chart_layout(fig: go.Figure, title: str, height: int = 300, margin: dict = MARGIN, view: str | None = None,
                 **layout) -> go.Figure:
    """A chart's title (a subtitle names the view, no user text), height and margins; axes grow to fit labels."""
    subtitle = {"subtitle": {"text": VIEW_NOTE[view], "font": {"size": 11, "color": "#666"}}} if view else {}
    fig.update_layout(title={"text": title, "font": {"size": 14}, **subtitle}, height=height, margin=margin, **layout)
    fig.update_xaxes(automargin=True)
    fig.update_yaxes(automargin=True)
    return readable_log_ticks(fig)


def readable_log_ticks(fig: go.Figure) -> go.Figure:
    """A log axis ticked where its data lie, each tick written in full (0.001, 0.003, 0.01), where plotly would write
    "9 0.001 2 3 … 0.01" (digits between powers of ten); with more than MAX_LOG_TICKS values, one tick a decade."""
    for axis, key in ((fig.layout.xaxis, "x"), (fig.layout.yaxis, "y")):
        if axis.type != "log":
            continue
        values = sorted({float(v) for trace in fig.data for v in (getattr(trace, key, None) or ())
                         if isinstance(v, (int, float)) and not isinstance(v, bool) and v > 0})
        if 0 < len(values) <= MAX_LOG_TICKS:
            axis.update(tickmode="array", tickvals=values, ticktext=[f"{v:g}" for v in values])
        else:
            axis.update(dtick=1, tickformat="~g")
    return fig


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
    return fig.add_shape(type="rect", x0=x - 0.5, x1=x + 0.5, y0=y0, y1=y1, xref="x", yref="y",
                         line={"color": FOCUS_COLOR, "width": 3}, fillcolor="rgba(0,0,0,0)", layer="above")


def heatmap(z, x, y, title: str, xlabel: str, ylabel: str, height: int | None = None, zmax: float = 1.0,
            view: str | None = None, focus: dict | None = None, row_axis: bool = False) -> go.Figure:
    """A clickable heatmap (x: the steps), the focused step or cell outlined (outline)."""
    fig = go.Figure(go.Heatmap(z=z, x=x, y=y, zmin=0, zmax=zmax, colorscale=SCALE,
                               hovertemplate=f"{xlabel} %{{x}}<br>{ylabel} %{{y}}<br>%{{z:.3f}}<extra></extra>",
                               colorbar={"thickness": 10, "len": 0.9}))
    fig.add_trace(go.Scatter(x=[xi for _ in y for xi in x], y=[yi for yi in y for _ in x], mode="markers",
                             hoverinfo="none", showlegend=False, marker={"size": 18, "opacity": 0, "symbol": "square"}))
    chart_layout(fig, title, (height or max(180, 70 + 26 * len(y))) + (SUBTITLE_TOP - MARGIN["t"] if view else 0),
                 {**MARGIN, "t": SUBTITLE_TOP if view else MARGIN["t"]}, view, xaxis_title=xlabel,
                 clickmode="event+select", dragmode=False)
    fig.update_xaxes(type="category", side="bottom", showgrid=False)
    fig.update_yaxes(type="category", autorange="reversed", showgrid=False, tickmode="array", tickvals=list(y),
                     ticktext=ticks(y))
    return outline(fig, len(x), len(y), focus, row_axis)


MODEL_NOTE = {"wtq2017": "2017 model"}  # in every title of a family's figure (the 2016 model's name none)
NOT_SELECTABLE = " (cannot be picked)"  # a 2017 column the model reads no values of (e.g. too many columns)


def titled(trace: dict, title: str, how: str = "") -> str:
    """A figure's title with its family's note and `how` (user-free text, escaped) in brackets, if any."""
    notes = [n for n in (MODEL_NOTE.get(trace.get("family"), ""), escape.html(how) if how else "") if n]
    return f"{title} ({', '.join(notes)})" if notes else title


def column_labels(trace: dict) -> list[str]:
    """Column names for the axes, escaped; a column the model cannot pick (2017's extra "selectable") says so."""
    ok = (trace.get("extra") or {}).get("selectable") or [True] * len(trace["columns"])
    return [escape.html(c) + ("" if pick else NOT_SELECTABLE) for c, pick in zip(trace["columns"], ok, strict=True)]


def _choices_figure(trace: dict, view: str, which: int, labels: list[str], title: str, ylabel: str,
                    focus: dict | None) -> go.Figure:
    """label × step: the operation (which=0) or column (1) probabilities of every step (step_explain.choice_probs)."""
    per_step = [choice_probs(trace, s, view)[which] for s in trace["steps"]]
    z = [[p[i] for p in per_step] for i in range(len(labels))]
    return heatmap(z, step_labels(trace), labels, titled(trace, title), "step", ylabel, view=view, focus=focus)


def ops_figure(trace: dict, view: str, focus: dict | None = None) -> go.Figure:
    """Operation × step: the chosen operation (hard) or the probabilities (soft)."""
    return _choices_figure(trace, view, 0, [op_label(o) for o in trace["ops"]], "Operation × step", "operation", focus)


def columns_figure(trace: dict, view: str, focus: dict | None = None) -> go.Figure:
    """Column × step: the column each step uses (hard) or the column probabilities (soft); None is drawn blank."""
    return _choices_figure(trace, view, 1, column_labels(trace), "Column × step", "column", focus)


def rows_figure(trace: dict, view: str, focus: dict | None = None) -> go.Figure:
    """Row selector after each step: one row per table row (capped at 200 rows for speed)."""
    key = "rows_soft" if view == "soft" else "rows_hard"
    m = min(trace["n_rows"], 200)
    z = [[min(max(s[key][r], 0.0), 1.0) for s in trace["steps"]] for r in range(m)]
    title = "Row selector × step" + (f" (first {m} rows)" if trace["n_rows"] > m else "")
    return heatmap(z, step_labels(trace), [f"row {r}" for r in range(m)], title, "step", "row",
                   height=max(200, 80 + min(m, 30) * 18), view=view, focus=focus, row_axis=True)


def pivot_figure(trace: dict) -> go.Figure | None:
    """Attention of the comparison operations over the question's numbers."""
    pivots = trace["extra"].get("pivots")
    if not pivots or not trace["numbers"]:
        return None
    nums, ops = [f"{n:g}" for n in trace["numbers"]], list(pivots)
    z = [[pivots[op]["attention"][i] for i in range(len(nums))] for op in ops]
    return heatmap(z, nums, ops, "Pivot: which number each comparison uses", "number", "comparison", height=190)


WORD_SCALE = {"wtq2017": 20}  # px per word row of a family's word heatmap, scaled to its largest weight


def words_figure(trace: dict, focus: dict | None = None, how: str = "") -> go.Figure | None:
    """Question-word attention at each step (models with question attention; always soft). The 2017 model's words
    are what it reads (`how` names its method); its colours go up to its largest weight."""
    steps, words = trace["steps"], trace["words"]
    if not steps or steps[0]["question_attention"] is None or not words:
        return None
    labels = [escape.html(f"{i + 1}:{w}") for i, w in enumerate(words)]
    z = [[s["question_attention"][i] if i < len(s["question_attention"]) else None for s in steps]
         for i in range(len(words))]
    row = WORD_SCALE.get(trace.get("family"))
    return heatmap(z, step_labels(trace), labels, titled(trace, "Question-word attention × step", how), "step",
                   "word", height=max(180, 70 + row * len(labels)) if row else None,
                   zmax=max([a for s in steps for a in s["question_attention"]] + [1e-9]) if row else 1.0, focus=focus)


def step_bars(trace: dict, t: int, view: str) -> tuple[go.Figure, go.Figure]:
    """Bars of the op and column distributions of step t (Step through page), the chosen one in red. A column the
    model cannot pick has no bar. At a step whose operation takes no column the column bars are grey and their title
    says the choice is not used (the model computes a column distribution at every step)."""
    step = trace["steps"][t - 1]
    ops, cols = [op_label(o) for o in trace["ops"]], column_labels(trace)
    p_op, p_col = choice_probs(trace, step, view)
    p_col = [p if p is not None else 0.0 for p in p_col]
    uses = step["column_index"] is not None
    column_title = (f"Column probabilities at t{t}" if uses
                    else f"Column probabilities at t{t}: not used (“{op_label(step['op'])}” takes no column)")
    figs = []
    for title, names, p, chosen, color in (
        (f"Operation probabilities at t{t}", ops, p_op, trace["ops"].index(step["op"]), "#1f77b4"),
        (column_title, cols, p_col, step["column_index"], "#1f77b4" if uses else "#b0b0b0"),
    ):
        colors = [CHOSEN_COLOR if i == chosen else color for i in range(len(names))]
        fig = go.Figure(go.Bar(x=list(range(len(names))), y=p, marker_color=colors, customdata=names,
                               hovertemplate="%{customdata}: %{y:.3f}<extra></extra>"))
        chart_layout(fig, titled(trace, title), margin={**MARGIN, "t": SUBTITLE_TOP}, view=view, yaxis_range=[0, 1.02])
        fig.update_xaxes(tickmode="array", tickvals=list(range(len(names))), ticktext=ticks(names))
        fig.update_yaxes(title_text="probability")
        figs.append(fig)
    return figs[0], figs[1]


def show(fig: go.Figure, key: str, image_format: str = "png", clickable: bool = True, name: str = "heatmap"):
    """Draw a figure; its camera button downloads it as PNG or SVG. Returns the selection event."""
    config = {"displaylogo": False, "modeBarButtonsToRemove": ["lasso2d", "select2d"],
              "toImageButtonOptions": {"format": image_format, "filename": name, "scale": 2}}
    if clickable:
        return st.plotly_chart(fig, key=key, on_select="rerun", selection_mode="points", config=config, theme=None)
    st.plotly_chart(fig, key=key, config=config, theme=None)
    return None


def show_row(*shown: tuple[go.Figure, str, str]) -> None:
    """Figures side by side, each given as (figure, key, download name); not clickable."""
    for column, (fig, key, name) in zip(st.columns(len(shown)), shown, strict=True):
        with column:
            show(fig, key, clickable=False, name=name)


def clicked_point(event) -> dict | None:
    """The first clicked point of a selection event ({"x", "y"}), read with dict keys (AppTest-friendly)."""
    try:
        return event["selection"]["points"][0]
    except (KeyError, TypeError, IndexError):
        return None
