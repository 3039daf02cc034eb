"""The Compare page's "Two trainings of the same model": one question on one table, run through two
checkpoints side by side, each with its answer, its program in words and its heatmaps.

The left checkpoint is the session's own (the shared checkpoint picker, so the other pages keep it); the
right one is state.VERSUS, which the URL's `vs` parameter carries. Both traces come from the same cached
path as the Ask page's (context.get_trace), so a question asked here costs nothing there.
"""

from __future__ import annotations

from dataclasses import replace

import streamlit as st

from engine.checkpoint import CheckpointError
from explorer import checkpoints, escape, questions, state
from explorer.components import context, figures
from explorer.components.trace_view import answer_text, right_text

SIDES = ("left", "right")
ANSWER_KEYS = {side: f"np_versus_answer_{side}" for side in SIDES}  # the browser tests find the answers here
PROGRAM_KEYS = {side: f"np_versus_program_{side}" for side in SIDES}


def default_versus(entries: list[checkpoints.Entry], left: checkpoints.Entry | None) -> str | None:
    """A second checkpoint worth comparing with `left`: the same task trained another way, else any other."""
    others = [e for e in entries if not e.error and (left is None or e.id != left.id)]
    if not others:
        return None
    same_task = [e for e in others if left is not None and e.task == left.task]
    other_method = [e for e in same_task if e.method != left.method]
    return (other_method or same_task or others)[0].id


def _on_versus() -> None:
    st.session_state[state.VERSUS] = st.session_state.get(state.VERSUS_PICK)


def versus_picker(ctx: context.Context, container) -> context.Context | None:
    """The right checkpoint's selectbox; a copy of `ctx` with that checkpoint and its vocabulary, or None."""
    ss = st.session_state
    entries = [e for e in checkpoints.list_checkpoints() if not e.error]
    ids = [e.id for e in entries]
    if ss.get(state.VERSUS) not in ids:
        if ss.get(state.VERSUS):
            container.warning(f"There is no checkpoint '{escape.md(ss[state.VERSUS])}' here; showing another one.")
        ss[state.VERSUS] = default_versus(entries, ctx.entry) or ""  # "": this view, with nothing beside
    if not ss[state.VERSUS]:
        container.info("There is no second checkpoint to compare with: train one on the **Train** page.")
        return None
    ss[state.VERSUS_PICK] = ss[state.VERSUS]
    container.selectbox("Beside it", ids, key=state.VERSUS_PICK, on_change=_on_versus,
                        format_func=lambda i: checkpoints.find(entries, i).label,
                        help="The second checkpoint: the same question and table, run through it")
    entry = checkpoints.find(entries, ss[state.VERSUS])
    try:
        _, vocab, _ = checkpoints.load(entry)
    except CheckpointError as e:
        container.error(f"This checkpoint cannot be used: {escape.md(e)}. Pick another one.")
        return None
    return replace(ctx, entry=entry, vocab=vocab)


def _side(side: str, ctx: context.Context, trace: dict, right: dict | None) -> None:
    """One checkpoint's column: who it is and how it was trained, answer, program and heatmaps."""
    entry = ctx.entry
    st.markdown(f"**{escape.md(entry.id)}**")
    how = checkpoints.METHODS.get(entry.method) if entry.method else "training method not recorded"
    st.caption(escape.md(f"{entry.task} · {how}"))
    with st.container(key=ANSWER_KEYS[side]):
        st.subheader(escape.md(answer_text(trace["answer"])), anchor=False)
    agree = questions.answers_agree(trace["answer"], right)
    if agree is True:
        st.success("Right")
    elif agree is False:
        st.error(f"Wrong: the right answer is {escape.md(right_text(right, ctx.rows))}.")
    with st.container(key=PROGRAM_KEYS[side]):
        st.markdown("**Its program**")
        st.code("\n".join(trace["program_text"]), language=None)
    figures.show(figures.ops_figure(trace, "hard"), f"versus_{side}_ops", clickable=False, name=f"{side}-operations")
    soft = figures.ops_figure(trace, "soft").update_layout(title_text="Operation probabilities × step")
    figures.show(soft, f"versus_{side}_ops_soft", clickable=False, name=f"{side}-operation-probabilities")
    st.caption("Above: the operation it runs at each step (test time); below it, the probability it gives each "
               "operation (what gradient descent trains).")
    if len(ctx.columns) > 1:
        figures.show(figures.columns_figure(trace, "hard"), f"versus_{side}_cols", clickable=False,
                     name=f"{side}-columns")
    figures.show(figures.rows_figure(trace, "hard"), f"versus_{side}_rows", clickable=False, name=f"{side}-rows")


def draw(ctx: context.Context, top) -> None:
    """Pickers in `top` (left: the session's checkpoint, right: the second), the question box, both sides."""
    ss = st.session_state
    left_box, right_box = top.columns(2)
    if context.checkpoint_picker(ctx, container=left_box) is None:
        return
    other = versus_picker(ctx, right_box)
    context.question_box(ctx)
    question = ss.get(state.QUESTION, "")
    if other is None:
        return
    traces = [context.get_trace(c, question) for c in (ctx, other)]
    if None in traces:
        return
    right = questions.right_answer(question, ctx.columns, ctx.rows, ctx.kinds)
    if right is not None:
        st.markdown(f"**Right answer** (by the grammar's interpreter): **{escape.md(right_text(right, ctx.rows))}**")
    for side, column, c, trace in zip(SIDES, st.columns(2), (ctx, other), traces, strict=True):
        with column, st.container(border=True):
            _side(side, c, trace, right)
