"""Ask: a question, its answer, the program in words and the heatmaps on one screen; the table and the model
are changed in a panel that opens when wanted, and answers follow the typing and the edits."""

from __future__ import annotations

import streamlit as st

from explorer import escape, questions, state
from explorer.components import context, model_choice, table_editor, teach, trace_view

st.title("Ask the Neural Programmer")
state.show_flash()

summary = st.container()  # one line saying which table and model answer; filled once the model is known
with st.expander("Change the table or the model: edit cells, upload a CSV, pick a sample or a model",
                 icon=":material/tune:"):
    table_tab, columns_tab, model_tab = st.tabs(["Table", "Columns", "Model"])
    with table_tab:
        table_editor.source_picker()
        table_editor.editor()
    with columns_tab:
        table_editor.column_tools()

ctx = context.table_context()
# a checkpoint asked for but not here is said where the answer is (ask_and_answer), not in the closed panel
entry = context.checkpoint_picker(ctx, container=model_tab, warn_missing=False)
real_picked = model_choice.picked()
model_line = escape.md(context.real_entry().label) if real_picked else context.model_summary(entry)
if model_choice.available() and not st.session_state.get(state.CKPT):  # (a pick sets CKPT)
    model_line += "; plain English the synthetic model cannot read: the real-tables model (2017)"
summary.caption(f"**Table:** {table_editor.summary()}  ·  **Model:** {model_line}")
table_editor.cell_warnings()


@st.fragment
def ask_and_answer(ctx: context.Context) -> None:
    """The question box and everything that follows from the question. A fragment: typing (or a heatmap
    click, an example, the view) reruns only this part; the table panel above is not redrawn, which keeps
    each keystroke's rerun short. A table or model change reruns the whole page, and with it this part."""
    question = st.session_state.get(state.QUESTION, "")  # the box's callback set it before this run
    choice = model_choice.choose(ctx, question)
    context.question_box(ctx, word_check=not choice.real)
    context.missing_warning(ctx, real=choice.real)
    if choice.real:  # the real-tables model (2017): plain English on any table
        trace = model_choice.get_trace(ctx, question)
        if trace is not None:
            trace_view.results(trace, ctx, choice=choice)
    else:  # what the synthetic model cannot do with the table is said only when it is the one that answers
        context.fit_warnings(ctx)
        trace = context.get_trace(ctx, question) if ctx.entry is not None else None
        if trace is not None:
            right = questions.right_answer(question, ctx.columns, ctx.rows, ctx.kinds)
            agree = questions.answers_agree(trace["answer"], right)
            trace_view.results(trace, ctx, right, agree, context.honest_guess(ctx, question))
            teach.panel(ctx, trace, right, agree)
    if trace is not None:
        st.page_link(state.STEP_THROUGH.path, label="Step through this program one step at a time",
                     icon=f":material/{state.STEP_THROUGH.icon}:")
    state.sync_url()


ask_and_answer(ctx)
