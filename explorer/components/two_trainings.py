"""The Compare page's "Two trainings of the same model": one question through two checkpoints, the programs and
heatmaps aligned step by step and the first step where they part marked. Left: the session's checkpoint; right:
state.VERSUS (the URL's `vs`), by default the one the left was fine-tuned from. Traces: context.get_trace (cached)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import streamlit as st

from engine.np2016.checkpoint import CheckpointError, read_checkpoint_info
from explorer import checkpoints, escape, questions, state, step_diff
from explorer.components import context, figures
from explorer.components.trace_view import answer_text, right_text

SIDES = ("left", "right")
ANSWER_KEYS = {side: f"np_versus_answer_{side}" for side in SIDES}  # the browser tests find the answers here
PARTING_KEY = "np_versus_parting"  # the line that says where the programs part
ALIGNED_KEY = "np_versus_aligned"  # the two programs, one row per step
VERSUS_AUTO = "versus_auto_for"  # the left checkpoint the right one was picked for by default; None: a person picked it
PART_COLOUR = "rgba(214, 39, 40, 0.9)"  # the parting step's outline on every heatmap (plotly's red)
ss = st.session_state


@st.cache_data(max_entries=256, show_spinner=False)
def _summary(path: str, mtime: float) -> dict:
    try:
        return read_checkpoint_info(path)["summary"]
    except CheckpointError:
        return {}


def fine_tuned_from(entry: checkpoints.Entry | None, entries: list[checkpoints.Entry]) -> str | None:
    """The id of the checkpoint `entry` was fine-tuned from, when its run recorded one that is still here (the run
    records the base file's stem: a shipped checkpoint of that name comes first, as Teach fine-tunes those)."""
    if entry is None or entry.error:
        return None
    base = _summary(entry.path, entry.mtime).get("fine_tuned_from")
    match = [e for e in entries if Path(e.path).stem == base and e.id != entry.id and not e.error]
    return match[0].id if match else None


def default_versus(entries: list[checkpoints.Entry], left: checkpoints.Entry | None,
                   base: str | None = None) -> str | None:
    """A second checkpoint worth comparing with `left`: the one it was fine-tuned from (`base`), else the same
    task trained another way, else the same task, else any other."""
    others = [e for e in entries if not e.error and (left is None or e.id != left.id)]
    if base is not None and any(e.id == base for e in others):
        return base
    same_task = [e for e in others if left is not None and e.task == left.task]
    best = [e for e in same_task if e.method != left.method] or same_task or others
    return best[0].id if best else None


def versus_picker(ctx: context.Context, container) -> context.Context | None:
    """The right checkpoint's selectbox; a copy of `ctx` with that checkpoint and its vocabulary, or None."""
    entries = [e for e in checkpoints.list_checkpoints() if not e.error]
    ids = [e.id for e in entries]
    left = ctx.entry.id if ctx.entry is not None else None
    # a default follows the left checkpoint (a fine-tune gets the checkpoint it started from); a pick stays
    if ss.get(state.VERSUS) not in ids or ss.get(VERSUS_AUTO) not in (None, left):
        if ss.get(state.VERSUS) and ss[state.VERSUS] not in ids:
            container.warning(f"There is no checkpoint '{escape.md(ss[state.VERSUS])}' here; showing another one.")
        ss[state.VERSUS] = default_versus(entries, ctx.entry, fine_tuned_from(ctx.entry, entries)) or ""
        ss[VERSUS_AUTO] = left  # "" above: this view, with nothing beside
    if not ss[state.VERSUS]:
        container.info("There is no second checkpoint to compare with: train one on the **Train** page.")
        return None
    ss[state.VERSUS_PICK] = ss[state.VERSUS]
    container.selectbox("Beside it", ids, key=state.VERSUS_PICK,
                        on_change=lambda: ss.update({state.VERSUS: ss.get(state.VERSUS_PICK), VERSUS_AUTO: None}),
                        format_func=lambda i: checkpoints.find(entries, i).label,
                        help="The second checkpoint: the same question and table, run through it. For a "
                        "fine-tuned checkpoint the one it was fine-tuned from comes first: before and after.")
    entry = checkpoints.find(entries, ss[state.VERSUS])
    vocab = context.vocab_of(entry, container)
    return None if vocab is None else replace(ctx, entry=entry, vocab=vocab)


def how_trained(entry: checkpoints.Entry, entries: list[checkpoints.Entry]) -> str:
    """One plain-text line: task, method and, for a fine-tune, what it started from."""
    how = checkpoints.METHODS.get(entry.method, "training method not recorded")
    base = fine_tuned_from(entry, entries)
    return f"{entry.task} · {how}" + (f" · fine-tuned from {base}" if base else "")


def before_after(left: checkpoints.Entry, right: checkpoints.Entry, entries) -> tuple[str, str]:
    """The two names, with "(after)" / "(before)" when one checkpoint was fine-tuned from the other."""
    if fine_tuned_from(left, entries) == right.id:
        return f"{left.id} (after)", f"{right.id} (before)"
    if fine_tuned_from(right, entries) == left.id:
        return f"{left.id} (before)", f"{right.id} (after)"
    return left.id, right.id


def program_table(pairs: list[step_diff.StepPair], left_name: str, right_name: str) -> str:
    """The two programs as one markdown table, one row per step t1…tT; the first differing row in red and
    later differing rows in orange. Step texts and names are escaped (column names are user input)."""
    first = next((p.t for p in pairs if not p.same), None)

    def cell(step: dict | None, colour: str | None) -> str:
        text = escape.md(step["sentence"]) if step is not None else "*(no step)*"
        return f":{colour}-background[{text}]" if colour else text

    lines = [f"| step | {escape.md(left_name)} | {escape.md(right_name)} | |", "|---|---|---|---|"]
    for p in pairs:
        colour = None if p.same else ("red" if p.t == first else "orange")
        note = "same" if p.same else ("**they part here**: " if p.t == first else "differs: ") + ", ".join(p.differs)
        t = f"**t{p.t}**" if p.t == first else f"t{p.t}"
        lines.append(f"| {t} | {cell(p.left, colour)} | {cell(p.right, colour)} | {note} |")
    return "\n".join(lines)


def _mark(fig, trace: dict, part: step_diff.StepPair | None):
    """Outline the parting step's column on a heatmap (x is categorical: step t sits at position t - 1)."""
    if part is not None and part.t <= len(trace["steps"]):
        fig.add_vrect(x0=part.t - 1.5, x1=part.t - 0.5, line={"color": PART_COLOUR, "width": 3},
                      fillcolor="rgba(0,0,0,0)", annotation_text="they part", annotation_position="top left",
                      annotation_font={"color": PART_COLOUR, "size": 11})
    return fig


def _header(side: str, ctx: context.Context, trace: dict, right: dict | None, entries) -> None:
    """One checkpoint's name, how it was trained and its answer (right or wrong)."""
    st.markdown(f"**{escape.md(ctx.entry.id)}**")
    st.caption(escape.md(how_trained(ctx.entry, entries)))
    with st.container(key=ANSWER_KEYS[side]):
        st.subheader(escape.md(answer_text(trace["answer"])), anchor=False)
    agree = questions.answers_agree(trace["answer"], right)
    if agree is True:
        st.success("Right")
    elif agree is False:
        st.error(f"Wrong: the right answer is {escape.md(right_text(right, ctx.rows))}.")


def _heatmap_rows(ctxs, traces, part) -> None:
    """Each heatmap kind as one row of two figures, so both sides' t1…tT columns line up."""
    kinds = [("ops", "operations", lambda t: figures.ops_figure(t, "hard")),
             ("ops_soft", "operation-probabilities",
              lambda t: figures.ops_figure(t, "soft").update_layout(title_text="Operation probabilities × step")),
             ("rows", "rows", lambda t: figures.rows_figure(t, "hard"))]
    if len(ctxs[0].columns) > 1:
        kinds.insert(2, ("cols", "columns", lambda t: figures.columns_figure(t, "hard")))
    for key, name, make in kinds:
        figures.show_row(*((_mark(make(trace), trace, part), f"versus_{side}_{key}", f"{side}-{name}")
                           for side, trace in zip(SIDES, traces, strict=True)))
        if key == "ops_soft":
            st.caption("Above: the operation each runs at each step (test time); then the probability it gives "
                       "each operation (what gradient descent trains). The red outline is where they part.")


def draw(ctx: context.Context, top) -> None:
    """Pickers in `top` (left: the session's checkpoint, right: the second), the question box, both sides."""
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
    entries = checkpoints.list_checkpoints()
    right = questions.right_answer(question, ctx.columns, ctx.rows, ctx.kinds)
    if right is not None:
        st.markdown(f"**Right answer** (by the grammar's interpreter): **{escape.md(right_text(right, ctx.rows))}**")
    for side, column, c, trace in zip(SIDES, st.columns(2), (ctx, other), traces, strict=True):
        with column, st.container(border=True):
            _header(side, c, trace, right, entries)
    pairs = step_diff.aligned_steps(*traces)
    part = next((p for p in pairs if not p.same), None)
    names = before_after(ctx.entry, other.entry, entries)
    if names != (ctx.entry.id, other.entry.id):
        st.caption("The same model before and after a fine-tuning run: where the programs part, the run changed "
                   "what the model does.")
    with st.container(key=PARTING_KEY):
        line = escape.md(step_diff.parting_line(part, *names))
        if part is None:
            st.success(line, icon=":material/check:")
        else:
            st.error(f"**{line}**", icon=":material/call_split:")
    with st.container(key=ALIGNED_KEY):
        st.markdown(program_table(pairs, *names))
    _heatmap_rows((ctx, other), traces, part)
