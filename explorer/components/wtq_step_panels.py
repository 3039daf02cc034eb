"""The Step through page's view of one step of the real-tables model (a 2017 trace): its sentence (the engine's
words), its operation, column and pivot, the rows it read beside the rows it selected (rows of t−1 → rows of
t; before t1 every row), the lines on what it read and wrote, the question words it attended to most, and its
probability bars. The words come from explorer/wtq_steps.py; this module lays them out.
"""

from __future__ import annotations

import streamlit as st

from explorer import escape, wtq_steps
from explorer.components import table_view, wtq_figures
from explorer.components.figures import show as show_figure
from explorer.components.step_panels import EXPLAIN_KEY


def _rows_table(ctx, trace: dict, t: int, view: str, key: str, title: str, column: str | None, cells=None):
    weights = wtq_steps.rows_after(trace, t, view)
    st.markdown(f"**{title}** · {wtq_steps.selected(weights)} of {wtq_steps.n_rows(trace)} rows")
    table_view.show(ctx.df, key, row_weights=weights, column=column, cells=cells)


def explain(ctx, trace: dict, t: int, view: str) -> None:
    """Step t: its sentence, the rows before (t−1) beside the rows after (t), and why."""
    step = trace["steps"][t - 1]
    column = wtq_steps.column_name(trace, step)
    with st.container(key=EXPLAIN_KEY):
        st.info(f"**Step t{t} of {len(trace['steps'])}:** {escape.md(step['sentence'])}.")
        left, right = st.columns(2)
        with left:
            title = "Before: all rows (nothing has selected yet)" if t == 1 else f"Before: rows selected after t{t - 1}"
            _rows_table(ctx, trace, t - 1, view, "step_before", title, column)
        with right:
            cells = wtq_steps.printed_cells(trace, t)
            if step["op"] == "count":
                st.metric(f"t{t} count", wtq_steps.output(trace, t, view).removeprefix("count "),
                          help="the number of rows selected before this step")
            title = "After the step" + (", printed cells in amber" if cells else "")
            _rows_table(ctx, trace, t, view, "step_after", title, column, cells=cells)
        table_view.legend(column=column is not None)
        st.caption(escape.md(wtq_steps.reads_line(trace, t, view)))
        st.caption(escape.md(wtq_steps.after_line(trace, t, view)))


def choices(trace: dict, t: int, view: str) -> None:
    """The step's operation, column and pivot as metrics; the words it attended to; its probability bars."""
    step = trace["steps"][t - 1]
    m1, m2, m3 = st.columns(3)
    m1.metric("Operation", step["op"])
    column = wtq_steps.column_name(trace, step)
    m2.metric("Column", escape.md(column) if column is not None else "—",
              help="the column the operation reads" if column is not None else f"{step['op']} takes no column")
    m3.metric("Pivot", wtq_steps.pivot_text(step),
              help="the question number the comparison compares with" if step["op"] in wtq_steps.COMPARISONS
              else "only greater, lesser, geq and leq use a pivot")
    st.caption("Question words this step attends to most: "
               + escape.md(wtq_steps.top_words(step, trace["words"])))
    ops_fig, cols_fig = wtq_figures.step_bars(trace, t, view)
    left, right = st.columns(2)
    with left:
        show_figure(ops_fig, "step_ops", clickable=False, name=f"step{t}-operations")
    with right:
        show_figure(cols_fig, "step_cols", clickable=False, name=f"step{t}-columns")
