"""Ask: edit a table, ask a question, see the answer, the induced program and every attention."""

from __future__ import annotations

import streamlit as st

from explorer import questions, state
from explorer.components import context, table_editor, teach, trace_view

st.title("Ask the Neural Programmer")
st.caption(
    "The model reads the question, then at every step picks an operation and a column and runs "
    "them on the table; the heatmaps show those choices. Click a heatmap cell to see the rows that "
    "step selected."
)
state.show_flash()

top = st.container()
table_editor.source_picker()
table_editor.editor()
table_editor.column_tools()

ctx = context.table_context()
entry = context.checkpoint_picker(ctx, container=top)
context.fit_warnings(ctx)
context.question_box(ctx)

question = st.session_state.get(state.QUESTION, "")
trace = context.get_trace(ctx, question) if entry is not None else None
if trace is not None:
    right = questions.right_answer(question, ctx.columns, ctx.rows, ctx.kinds)
    agree = questions.answers_agree(trace["answer"], right)
    st.divider()
    trace_view.results(trace, ctx.df, right, agree)
    teach.panel(ctx, trace, right, agree)
    st.page_link(
        state.STEP_THROUGH.path,
        label="Step through this program one step at a time",
        icon=f":material/{state.STEP_THROUGH.icon}:",
    )
state.sync_url()
