"""The figures of a 2017 trace (engine/wtq2017/trace.py): operation × step over the 15 operations, column × step
(a column the model cannot select is labelled so and left blank), question-word attention × step over the
words the model read, and one step's probability bars. They use figures.py's heatmap (click markers, the
focused step outlined, labels escaped and shortened) so the two model families look and click alike.

Every title names the model that produced it (the real-tables model, 2017), and the subtitle the view
(hard: the test-time choices; soft: the probabilities).
"""

from __future__ import annotations

import plotly.graph_objects as go

from explorer import escape
from explorer.components import figures

MODEL_NOTE = "(2017 model)"  # after each title: the real-tables model drew it
NOT_SELECTABLE = " (cannot be picked)"  # the model reads no values of such a column (e.g. too many columns)


def _steps(trace: dict) -> list[str]:
    return figures.step_labels(trace)


def column_labels(trace: dict) -> list[str]:
    """Column names for the axes, escaped; a column the model cannot select says so."""
    return [escape.html(c) + ("" if ok else NOT_SELECTABLE)
            for c, ok in zip(trace["columns"], trace["extra"]["selectable"], strict=True)]


def ops_figure(trace: dict, view: str, focus: dict | None = None) -> go.Figure:
    """Operation × step over the 15 operations, named as the engine names them."""
    return figures.ops_figure(trace, view, focus, title=f"Operation × step {MODEL_NOTE}", label=str)


def columns_figure(trace: dict, view: str, focus: dict | None = None) -> go.Figure:
    """Column × step (figures.columns_figure), a column the model cannot pick labelled so (and blank when soft)."""
    return figures.columns_figure(trace, view, focus, title=f"Column × step {MODEL_NOTE}", labels=column_labels(trace))


def words_figure(trace: dict, focus: dict | None = None, how: str = "") -> go.Figure | None:
    """Question-word attention at each step over the words the model read (cells it matched are <unk>,
    numbers are left out, <entry_match> / <column_match> mark what matched); always soft."""
    steps, words = trace["steps"], trace["words"]
    if not steps or not words:
        return None
    labels = [escape.html(f"{i + 1}:{w}") for i, w in enumerate(words)]
    z = [[s["question_attention"][i] if i < len(s["question_attention"]) else None for s in steps]
         for i in range(len(words))]
    title = f"Question-word attention × step (2017 model{', ' + escape.html(how) if how else ''})"
    fig = figures.heatmap(z, _steps(trace), labels, title, "step",
                           "word", height=max(180, 70 + 20 * len(labels)), zmax=max(
                               [a for s in steps for a in s["question_attention"]] + [1e-9]))
    return figures.outline(fig, len(steps), len(labels), focus)


def step_bars(trace: dict, t: int, view: str) -> tuple[go.Figure, go.Figure]:
    """Bars of one step's operation and column probabilities (the chosen one in red). A column the model
    cannot pick has no bar; at a step whose operation takes no column the bars are grey."""
    step = trace["steps"][t - 1]
    ops, cols = list(trace["ops"]), column_labels(trace)
    if view == "soft":
        p_op, p_col = step["op_probs"], [p if p is not None else 0.0 for p in step["col_probs"]]
    else:
        p_op = [1.0 if o == step["op"] else 0.0 for o in ops]
        p_col = [1.0 if j == step["column_index"] else 0.0 for j in range(len(cols))]
    uses = step["column_index"] is not None
    col_title = (f"Column probabilities at t{t}" if uses
                 else f"Column probabilities at t{t}: not used (“{step['op']}” takes no column)")
    out = []
    for title, names, p, chosen, color in (
        (f"Operation probabilities at t{t}", ops, p_op, ops.index(step["op"]), "#1f77b4"),
        (col_title, cols, p_col, step["column_index"] if uses else None, "#1f77b4" if uses else "#b0b0b0"),
    ):
        colors = [figures.CHOSEN_COLOR if i == chosen else color for i in range(len(names))]
        fig = go.Figure(go.Bar(x=list(range(len(names))), y=p, marker_color=colors, customdata=names,
                               hovertemplate="%{customdata}: %{y:.3f}<extra></extra>"))
        fig.update_layout(title=figures.title_of(f"{title} {MODEL_NOTE}", view), height=300,
                          margin={**figures.MARGIN, "t": figures.SUBTITLE_TOP}, yaxis_range=[0, 1.02])
        fig.update_xaxes(automargin=True, tickmode="array", tickvals=list(range(len(names))),
                         ticktext=figures.ticks(names))
        fig.update_yaxes(automargin=True, title_text="probability")
        out.append(fig)
    return out[0], out[1]
