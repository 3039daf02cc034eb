"""Sweeps: any sweep directory (the shipped ones under docs/sweeps/, the Train page's under runs/sweeps/, or a typed
path under an allowed folder, NPX_SWEEP_DIRS) drawn by sweep_view; the paper's trainability sweep opens first."""

from __future__ import annotations

from pathlib import Path

import plotly.graph_objects as go
import streamlit as st
from plotly.colors import qualitative

from explorer import escape, state, sweeps
from explorer.components import figures, sweep_view

PICK, TYPED = sweep_view.PAGE_PICK, "sweep_typed_path"
OTHER = "other"  # the picker's choice that shows the path box
MAX_VALUES = 10  # a grid field with more values than this gets no curve per value (the legend would not be read)
ss = st.session_state


def curves_by_value_figure(sweep: sweeps.Sweep, name: str) -> go.Figure:
    """The mean validation curve of each value of the grid field `name`, the legend naming each value."""
    grid = sweep.spec["grid"][name]
    curves = sorted(sweeps.mean_curves_by_value(sweep.records, name),
                    key=lambda vc: grid.index(vc[0]) if vc[0] in grid else len(grid))  # the legend in the grid's order
    fig = go.Figure()
    for (value, curve), colour in zip(curves, qualitative.D3 * 2, strict=False):
        label = escape.html(sweep_view.value_text(value))
        fig.add_trace(go.Scatter(x=[e for e, _ in curve], y=[a for _, a in curve], mode="lines+markers", name=label,
                                 line={"color": colour, "width": 2}, text=[label] * len(curve),
                                 hovertemplate="%{text}<br>epoch %{x:.3g}: mean validation accuracy %{y:.1%}"
                                 "<extra></extra>"))
    return figures.chart_layout(fig, f"Mean validation accuracy by {escape.html(name)}", xaxis_title="epoch",
                                yaxis_range=[0, 1.04], yaxis_tickformat=".0%",
                                legend={"title": {"text": escape.html(name)}})


def curves_by_value(sweep: sweeps.Sweep, key: str) -> None:
    """One figure per grid field of 2 to MAX_VALUES values, two to a row: its values' mean curves, told apart."""
    names = [n for n, values in sweep.spec["grid"].items() if 2 <= len(values) <= MAX_VALUES]
    for start in range(0, len(names), 2):
        for column, name in zip(st.columns(2), names[start:start + 2], strict=False):
            with column:
                figures.show(curves_by_value_figure(sweep, name), f"{key}_by_value_{names.index(name)}",
                             clickable=False, name="validation-by-value")

st.title("Sweeps")
st.caption("A sweep trains the same model many times: every combination of a few hyper-parameter values (the grid), "
           "each with several seeds. It shows how reliably a method trains, not just its best run. Sweeps come from "
           "`python -m engine sweep` or from the *Small sweep* section of the Train page.")
state.show_flash()

paper = sweeps.paper_sweep()
if not (paper / "sweep.json").is_file():
    st.info(f"The paper's trainability sweep ({escape.md(sweeps.PAPER_SWEEP)}) is not in this copy of the app: "
            f"it would be at {escape.md(paper)}. Pick another sweep below, or type the path of one.")

found = {str(path): label for label, path in sweeps.list_sweeps()}
choices = [*found, OTHER]
if ss.get(PICK) not in choices:
    ss[PICK] = str(paper) if str(paper) in found else choices[0]
pick = st.selectbox("Sweep directory", choices, key=PICK,
                    format_func=lambda c: "Another directory (type its path)…" if c == OTHER else found[c])

path = None
if pick == OTHER:
    typed = st.text_input("Path of a sweep directory (absolute, or relative to the app's folder)", key=TYPED,
                          placeholder="runs/sweeps/20260101-120000").strip()
    if typed:
        try:
            path = sweeps.typed_directory(typed)  # resolved, and under an allowed folder
        except sweeps.SweepError as e:  # one message whatever the reason: it never says what exists there
            st.error(escape.md(e))
    else:
        st.info("Type the path of a directory that holds a sweep.json (written by `python -m engine sweep`) "
                "under one of these folders: " + escape.md(", ".join(map(str, sweeps.allowed_roots()))) + ".")
else:
    path = Path(pick)

if path is not None:
    try:
        sweep = sweeps.load(path)
    except (sweeps.SweepError, OSError) as e:  # OSError: a file there cannot be read (permissions, I/O)
        st.error(escape.md(e))
    else:
        st.caption(f"Directory: {escape.md(path)}")
        sweep_view.draw(sweep, "sweep")
        if sweep.records:
            curves_by_value(sweep, "sweep")
