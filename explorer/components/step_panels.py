"""The Step through page's view of one step: what it read beside what it produced, then the lines on why; the words
and what differs between the families (step_explain.SPECS) come from step_explain, this module lays them out."""

from __future__ import annotations

import streamlit as st

from engine.np2016.program import op_label, step_name
from engine.np2016.trace import fmt
from explorer import escape
from explorer.components import step_explain as ex
from explorer.components import table_view

EXPLAIN_KEY = "step_explain"  # the container of a step's explanation (tests and browser tests find it)


def _rows_table(ctx, trace: dict, t: int, view: str, key: str, title: str, column: str | None = None,
                cells=None) -> None:
    weights = ex.rows_of(trace, t, view)
    st.markdown(f"**{title}** · {ex.selected(weights)} of {trace['n_rows']} rows")
    table_view.show(ctx.df, key, row_weights=weights, column=column, cells=cells)


def _input_title(t: int) -> str:
    return "Input: all rows at the start" if t < 1 else f"Input: rows selected after {step_name(t)}"


def _pair(ctx, trace: dict, step: dict, view: str) -> None:
    """and / or: both inputs and the result, side by side."""
    a, b = ex.reads(step["op"], step["t"]).steps
    cols = st.columns(3)
    for col, src, k in ((cols[0], a, "step_in_a"), (cols[1], b, "step_in_b")):
        with col:
            _rows_table(ctx, trace, src, view, k, _input_title(src))
    with cols[2]:
        rule = "in both inputs" if step["op"] == "and" else "in either input"
        _rows_table(ctx, trace, step["t"], view, "step_after", f"Result of {op_label(step['op'])}: rows {rule}")


def _difference(trace: dict, step: dict, view: str) -> None:
    """difference: the two scalars it reads, where it reads them, then the result."""
    a, b = ex.reads("difference", step["t"]).steps
    m1, m2, m3 = st.columns(3)
    m1.metric(f"{ex.name(a)} scalar", fmt(ex.scalar_of(trace, a, view)), help="three steps back (0 before t1)")
    m2.metric(f"{ex.name(b)} scalar", fmt(ex.scalar_of(trace, b, view)), help="one step back (0 before t1)")
    m3.metric(f"{step_name(step['t'])} result: {ex.name(a)} − {ex.name(b)}", fmt(ex.scalar_of(trace, step["t"], view)))
    st.caption(escape.md(ex.difference_line(step, trace, view)))


def _metric(trace: dict, t: int, view: str) -> tuple[str, str, str] | None:
    """(label, value, help) of what a step computed that is not rows: a 2016 scalar, a 2017 count."""
    op, extra = trace["steps"][t - 1]["op"], trace["steps"][t - 1]["extra"]
    if "scalar_hard" in extra and op in ex.SCALAR_OPS:
        return f"{step_name(t)} scalar ({op_label(op)})", fmt(ex.scalar_of(trace, t, view)), "what this step computed"
    if op == "count" and trace["family"] == "wtq2017":
        value = ex.output(trace, t, view).removeprefix("count ")
        return f"{step_name(t)} count", value, "the number of rows selected before this step"
    return None


def _before_after(ctx, trace: dict, step: dict, view: str) -> None:
    t, op, spec = step["t"], step["op"], ex.spec(trace)
    column = step["column_name"] if ex.uses_column(step, trace["family"]) else None
    left, right = st.columns(2)
    with left:
        if spec.inputs_named and op in spec.rows:
            title = _input_title(t - 1)
        else:
            title = spec.before[0] if t == 1 else spec.before[1].format(t - 1)
        _rows_table(ctx, trace, t - 1, view, "step_before", title, column=column)
    with right:
        cells = ex.cells_of(trace, t, view)
        metric = _metric(trace, t, view)
        if metric:
            st.metric(metric[0], metric[1], help=metric[2])
        title = "After the step" + (", printed cells in amber" if cells else "")
        _rows_table(ctx, trace, t, view, "step_after", title, column=column, cells=cells)


def explain(ctx, trace: dict, t: int, view: str) -> None:
    """Everything about step t: its sentence, its inputs beside its output, and the lines on what it read and wrote."""
    step = trace["steps"][t - 1]
    with st.container(key=EXPLAIN_KEY):
        st.info(f"**Step {step_name(t)} of {len(trace['steps'])}:** {escape.md(step['sentence'])}.")
        if step["op"] in ex.spec(trace).pair:
            _pair(ctx, trace, step, view)
        elif step["op"] in ex.spec(trace).scalars:
            _difference(trace, step, view)
        else:
            _before_after(ctx, trace, step, view)
        table_view.legend(column=ex.uses_column(step, trace["family"]))
        for line in ex.lines(trace, t, view):
            st.caption(escape.md(line))


def choices(trace: dict, t: int, view: str) -> None:
    """The metrics of the step's choices, and the question words it attended to."""
    step, family, spec = trace["steps"][t - 1], trace["family"], ex.spec(trace)
    uses = ex.uses_column(step, family)
    m1, m2, m3 = st.columns(3)
    m1.metric("Operation", op_label(step["op"]))
    m2.metric("Column", escape.md(step["column_name"]) if uses else "—",
              help=escape.md(ex.column_line(step, family)))
    pivot = fmt(step["pivot"]) if step["op"] in spec.pivot_ops and step["pivot"] is not None else "—"
    m3.metric("Pivot", pivot, help=spec.pivot_help[0 if step["op"] in spec.pivot_ops else 1])
    if spec.column_caption and not uses:
        st.caption(escape.md(ex.column_line(step, family)))
    words = ex.attention_line(step, trace["words"], trace["columns"], family=family)
    if words is not None:
        st.caption("Question words this step attends to most: " + escape.md(words))
