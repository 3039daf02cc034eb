"""Compare: one question answered by the Neural Programmer and by the LSTM baselines, side by side."""

from __future__ import annotations

import streamlit as st

from engine.trace import fmt
from explorer import baselines, questions, state
from explorer.components import context
from explorer.components.trace_view import answer_text, right_text

RIGHT, WRONG = ":green[:material/check_circle: right]", ":red[:material/cancel: wrong]"
st.title("Neural Programmer vs. LSTM baselines")
st.caption(
    "An LSTM reads the question and the table and has to *compute* the answer inside its weights; "
    "the Neural Programmer only *chooses* built-in operations (sum, count, greater…) that compute "
    "exactly. On new tables and larger numbers that difference decides who is right."
)
state.show_flash()
ss = st.session_state
ctx = context.table_context()
top = st.container()
entry = context.checkpoint_picker(ctx, container=top)
context.question_box(ctx)
question = ss.get(state.QUESTION, "")
src = (ss.get(state.TABLE_SOURCE) or {}).get("label", "")
st.caption(f"Table: {src} ({len(ctx.df)} rows) — edit it on the Ask page.")

trace = context.get_trace(ctx, question) if entry is not None else None
files, why_not = baselines.available()
if trace is None:
    st.stop()

right = questions.right_answer(question, ctx.columns, ctx.rows, ctx.kinds)
agree = questions.answers_agree(trace["answer"], right)
if right is not None:
    st.markdown(
        f"**Right answer** (by the grammar's interpreter): **{right_text(right, ctx.columns, ctx.rows)}**"
    )

cols = st.columns(1 + max(len(files), 1))
with cols[0]:
    with st.container(border=True):
        st.markdown(f"**Neural Programmer** · `{entry.id}`")
        st.markdown(
            f"<div data-testid='np-compare-answer' style='font-size: 1.5rem; font-weight: 600'>"
            f"{answer_text(trace['answer'])}</div>",
            unsafe_allow_html=True,
        )
        if agree is not None:
            st.markdown(RIGHT if agree else WRONG)
        st.code("\n".join(trace["program_text"]), language=None)
        st.caption("Its answer comes with the program that computed it.")

if not files:
    with cols[1]:
        with st.container(border=True):
            st.markdown("**LSTM baseline**")
            st.info(
                f"No baseline is available yet: {why_not}. When the reproduction work ships "
                "`engine/baselines.py` and `checkpoints/baselines/*.safetensors`, they appear here."
            )
else:
    for col, path in zip(cols[1:], files, strict=False):
        with col, st.container(border=True):
            st.markdown(f"**LSTM baseline** · `{path.stem}`")
            value, error = baselines.answer(path, ctx.columns, ctx.rows, question)
            if error:
                st.warning(f"No answer: {error}.")
                continue
            st.markdown(
                f"<div style='font-size: 1.5rem; font-weight: 600'>{fmt(value)}</div>", unsafe_allow_html=True
            )
            if right is not None and "scalar" in right:
                ok = abs(value - right["scalar"]) < 0.05
                st.markdown(RIGHT if ok else WRONG)
            elif right is not None:
                st.caption("The right answer is a set of cells; the baseline only produces numbers.")
            st.caption("No program: nothing to inspect but the number.")
if files:
    st.button(
        "Load the small table the baselines were trained on",
        key="load_baseline_table",
        on_click=lambda: (state.load_sample("baseline_small"), ss.pop("question_box", None)),
    )
state.sync_url()
