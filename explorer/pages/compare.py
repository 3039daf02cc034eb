"""Compare: one question answered side by side, by the Neural Programmer and the LSTM baselines, or by two
trainings of the same model (two checkpoints: explorer/components/two_trainings.py)."""

from __future__ import annotations

import streamlit as st

from engine.np2016.trace import fmt
from explorer import baselines, escape, questions, state
from explorer.components import context, scale_demo, two_trainings
from explorer.components.trace_view import answer_text, right_text

RIGHT, WRONG = ":green[:material/check_circle: right]", ":red[:material/cancel: wrong]"
COMPARE_ANSWER_KEY = "np_compare_answer"
BASELINES, TRAININGS = "baselines", "trainings"
MODES = {BASELINES: "Neural Programmer vs. LSTM baselines", TRAININGS: "Two trainings of the same model"}
ss = st.session_state


def _on_mode() -> None:
    # "": the side-by-side view picks the second checkpoint itself, for the checkpoint then on the left
    ss[state.VERSUS] = "" if ss.get(state.COMPARE_MODE_PICK) == TRAININGS else None


st.title("Compare")
state.show_flash()
mode = TRAININGS if ss.get(state.VERSUS) is not None else BASELINES
ss[state.COMPARE_MODE_PICK] = mode
st.segmented_control("What to compare", list(MODES), format_func=MODES.get, key=state.COMPARE_MODE_PICK,
                     required=True, on_change=_on_mode)
ctx = context.table_context()
table_note = (f"Table: {escape.md((ss.get(state.TABLE_SOURCE) or {}).get('label', ''))} ({len(ctx.df)} rows) "
              "— edit it on the Ask page.")
st.subheader(MODES[mode], anchor=False)
if mode == TRAININGS:
    st.caption("The same Neural Programmer architecture, trained two ways (or before and after a fine-tuning run), "
               "answers the same question on the same table. Their programs and heatmaps are lined up step by step, "
               "t1…tT, and the first step where they part is marked: from there on, the training made the "
               "difference. " + table_note)
    two_trainings.draw(ctx, st.container())
    state.sync_url(versus=True)
    st.stop()
st.caption("An LSTM reads the question and the table and has to *compute* the answer inside its weights; the Neural "
           "Programmer only *chooses* built-in operations (sum, count, greater…) that compute exactly. On new tables "
           "and larger numbers that difference decides who is right.")
with st.container(border=True):
    st.markdown("**Scale demo** · the baselines and the Neural Programmer on the same small table, then on the "
                "same table with its numbers ×10, ×100, ×1000")
    scale_demo.draw()
entry = context.checkpoint_picker(ctx)
context.question_box(ctx)
question = ss.get(state.QUESTION, "")
st.caption(table_note)

trace = context.get_trace(ctx, question) if entry is not None else None
files, why_not = baselines.available()
if trace is None:
    st.stop()

right = questions.right_answer(question, ctx.columns, ctx.rows, ctx.kinds)
agree = questions.answers_agree(trace["answer"], right)
if right is not None:
    st.markdown(f"**Right answer** (by the grammar's interpreter): **{escape.md(right_text(right, ctx.rows))}**")

cols = st.columns(1 + max(len(files), 1))
with cols[0], st.container(border=True):
    st.markdown(f"**Neural Programmer** · {escape.md(entry.id)}")
    with st.container(key=COMPARE_ANSWER_KEY):
        st.subheader(escape.md(answer_text(trace["answer"])), anchor=False)
    if agree is not None:
        st.markdown(RIGHT if agree else WRONG)
    st.code("\n".join(trace["program_text"]), language=None, wrap_lines=True)
    st.caption("Its answer comes with the program that computed it.")

if not files:
    with cols[1], st.container(border=True):
        st.markdown("**LSTM baseline**")
        st.info(f"No baseline is available: {escape.md(why_not)}.")
else:
    for col, path in zip(cols[1:], files, strict=False):
        with col, st.container(border=True):
            st.markdown(f"**LSTM baseline** · {escape.md(path.stem)}")
            value, error = baselines.answer(path, ctx.columns, ctx.rows, question)
            if error:
                st.warning(f"No answer: {escape.md(error)}.")
                continue
            st.subheader(fmt(value), anchor=False)
            if right is not None and "scalar" in right:
                st.markdown(RIGHT if abs(value - right["scalar"]) < 0.05 else WRONG)
            elif right is not None:
                st.caption("The right answer is a set of cells; the baseline only produces numbers.")
            st.caption("No program: nothing to inspect but the number.")
if files:
    st.button("Load the small table the baselines were trained on", key="load_baseline_table",
              on_click=lambda: (state.load_sample("baseline_small"), ss.pop(state.QUESTION_BOX, None)))
state.sync_url()
