"""The Ask page's result for the real-tables model (a 2017 trace, engine/wtq2017/trace.py), laid out as the synthetic
model's (trace_view.results): first row (the first screen) the answer, which model answered and the program in
words; the operation × step heatmap over the 15 operations and the column × step one; the table highlighted
for the chosen step with the step slider. Then the view, the question-word attention and the exports.

Heatmap clicks and the slider share the synthetic view's state (state.FOCUS, the heatmap keys), so a click
on step t anywhere shows step t in the table. Every cell, column and question text is escaped where drawn.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from explorer import escape, state, wtq_steps
from explorer.components import table_view, trace_view, wtq_context, wtq_figures
from explorer.components.figures import show as show_figure
from explorer.components.trace_view import ANSWER_KEY, TABLE_HEIGHT

PROGRAM_KEY = "wtq_program"  # the program's container (browser tests find it by the class st-key-wtq_program)


def answer_box(trace: dict, choice: wtq_context.Choice) -> None:
    st.markdown("**Answer**")
    with st.container(key=ANSWER_KEY):
        st.subheader(escape.md(wtq_steps.answer_text(trace)), anchor=False)
    wtq_context.answered_by(choice)


def program_box(trace: dict) -> None:
    st.markdown("**Induced program, in words**")
    with st.container(key=PROGRAM_KEY):
        st.code("\n".join(trace["program_text"]), language=None, wrap_lines=True)


def _table_marks(trace: dict, t: int | None, view: str) -> tuple[list[float], list, str | None, str]:
    """(row weights, printed cells, column name, what the blue rows are) for step t (None: the answer)."""
    steps = trace["steps"]
    t = t or len(steps)
    step = steps[t - 1]
    if step["op"] in wtq_steps.WRITES_NO_ROWS:  # count and print: the rows they read
        weights, which = wtq_steps.rows_after(trace, t - 1, view), "rows it read"
    else:
        weights, which = wtq_steps.rows_after(trace, t, view), "rows it selected"
    return weights, wtq_steps.printed_cells(trace, t), wtq_steps.column_name(trace, step), which


def linked_table(trace: dict, df: pd.DataFrame, view: str) -> None:
    """The table for the focused step (the answer when none): its rows in blue, printed cells in amber."""
    focus = st.session_state.get(state.FOCUS)
    t = focus["step"] if focus else None
    weights, cells, column, which = _table_marks(trace, t, view)
    if t:
        st.markdown(f"**Step t{t}:** {escape.md(trace['steps'][t - 1]['sentence'])} ({which} in blue)")
    else:
        st.markdown("**The answer:** the rows its last step read, printed cells in amber. Pick a step below or "
                    "click a heatmap cell to see one step.")
    table_view.show(df, "linked_table", height=TABLE_HEIGHT, row_weights=weights, cells=cells, column=column,
                    focus_row=focus.get("row") if focus else None)
    table_view.legend(column=column is not None)


def _fit(fig, height: int):
    fig.update_layout(height=height)
    return fig


def results(trace: dict, ctx, choice: wtq_context.Choice) -> None:
    """Everything about the real-tables model's answer (see the module's docstring)."""
    ss = st.session_state
    trace_view.update_focus(trace)
    view = ss.get(state.VIEW, "hard")
    focus = ss.get(state.FOCUS)
    fmt_pick = ss.get(trace_view.IMAGE_FORMAT, "png")
    answer_col, ops_col, table_col = st.columns([5, 4, 5])
    with answer_col:
        answer_box(trace, choice)
        program_box(trace)
        wtq_context.back_button(ctx)
    with ops_col:
        fig = _fit(wtq_figures.ops_figure(trace, view, focus=focus), 330)
        show_figure(fig, "hm_ops", fmt_pick, name="operations")
        fig = wtq_figures.columns_figure(trace, view, focus=focus)
        show_figure(_fit(fig, min(300, 90 + 22 * len(trace["columns"]))), "hm_cols", fmt_pick, name="columns")
    with table_col:
        linked_table(trace, ctx.df, view)
        options = ["answer"] + [f"t{s['t']}" for s in trace["steps"]]
        ss[state.FOCUS_PICK] = f"t{focus['step']}" if focus else "answer"
        st.select_slider("Step shown in the table", options, key=state.FOCUS_PICK,
                         on_change=trace_view.on_focus_pick)
    left, right = st.columns([3, 5], vertical_alignment="bottom")
    left.segmented_control(
        "View", ["hard", "soft"], key=state.VIEW_PICK, default=view, required=True,
        format_func={"hard": "hard (test time)", "soft": "soft (training time)"}.get,
        on_change=lambda: ss.__setitem__(state.VIEW, ss.get(state.VIEW_PICK) or "hard"),
    )
    right.caption(
        "The real-tables model reads the question's words after replacing the cells it matched by "
        f"{escape.md('<unk>')} and taking the numbers out (they are the comparisons' pivots); "
        f"{escape.md('<entry_match>')} and {escape.md('<column_match>')} say what matched the table."
    )
    fig = wtq_figures.words_figure(trace, focus=focus, how=wtq_context.method_note())
    if fig is not None:
        show_figure(fig, "hm_words", fmt_pick, name="question-attention")
    trace_view.exports(trace)
