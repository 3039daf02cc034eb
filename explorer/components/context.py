"""What the Ask, Step through and Compare pages share: the table as the model sees it, the checkpoint picked for it
(any entry of explorer/checkpoints.py), the question box and the (cached) trace, each reporting problems as messages."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import pandas as pd
import streamlit as st

from engine.core.limits import QUESTION_MAX_CHARS
from engine.families import NP2016, WTQ2017
from engine.np2016.batch import column_kinds
from engine.np2016.checkpoint import CheckpointError
from engine.np2016.presets import METHODS
from explorer import checkpoints, escape, example_questions, guesses, questions, real_tables, state, tables

log = logging.getLogger(__name__)
AUTO = "auto"
LIVE_DELAY = "300ms"  # the question is answered after this pause in typing
PLACEHOLDER = "e.g. greater 50 sales sum profit"
PLACEHOLDER_REAL = "e.g. greater 50 sales sum profit, or in plain English: which year had the most sales?"
ss = st.session_state


@dataclass
class Context:
    df: pd.DataFrame
    columns: list[str]
    rows: list[list]
    kinds: list[str]
    problems: list[str]
    entry: checkpoints.Entry | None = None
    vocab: object = None
    missing: str | None = None  # the checkpoint the session (a link's ckpt=) asked for that is not here


def table_context() -> Context:
    df = ss[state.TABLE]
    columns, rows = tables.to_engine(df)
    kinds = column_kinds(columns, rows) if columns else []
    return Context(df, columns, rows, kinds, tables.problems(df))


def _on_ckpt() -> None:
    pick = ss.get(state.CKPT_PICK)
    ss[state.CKPT] = None if pick in (None, AUTO) else pick


def real_entry() -> checkpoints.Entry | None:
    """The 2017 checkpoint that answers: the one picked in the Model tab, else the shipped one (None: not here)."""
    return checkpoints.answering_real(checkpoints.all_checkpoints(), ss.get(state.CKPT))


def checkpoint_picker(ctx: Context, container=None, warn_missing: bool = True,
                      question: str | None = None) -> checkpoints.Entry | None:
    """Selectbox of the registry's checkpoints ('auto' = best match for the table): the 2016 ones, then the 2017 ones
    (answered by model_choice.py); sets ctx.entry and ctx.vocab to the 2016 checkpoint that answers (the best match
    while a 2017 one is picked, for the one click back to it). A requested checkpoint that is not here is dropped for
    the best match and kept in ctx.missing, and said beside the picker unless `warn_missing` is False (the Ask page,
    whose picker sits in a collapsed panel, says it where the answer is: missing_warning). With `question` (a page
    whose picker is drawn again with each question), 'auto' names the model that answers it: the real-tables model
    for plain English, never the synthetic best match then."""
    box = container or st
    registry = checkpoints.all_checkpoints()
    entries, real = ([e for e in registry if e.family == family] for family in (NP2016, WTQ2017))
    if not registry:
        box.error("No checkpoint found. Shipped checkpoints belong in `checkpoints/`; or train one on the **Train** "
                  "page and it appears here.")
        return None
    ids = [e.id for e in entries + real]
    best = checkpoints.best_match(entries, ctx.columns, ctx.kinds)
    if ss.get(state.CKPT) and ss[state.CKPT] not in ids:
        ctx.missing = ss[state.CKPT]
        if warn_missing:
            box.warning(f"{_missing_text(ctx.missing)}; using the best match for the table.")
        ss[state.CKPT] = None
    ss[state.CKPT_PICK] = ss.get(state.CKPT) or AUTO
    picker = box.empty()  # the selectbox goes first; its 'auto' label waits for the checkpoint that answers
    entry = checkpoints.find(entries, ss.get(state.CKPT)) or best
    if entry is None and not real:
        box.info("No checkpoint here is a match to pick by itself (none is readable, or every one was trained "
                 "by gradient descent alone): pick one from the list.")
    if entry is not None:
        ctx.vocab = vocab_of(entry, box)
        ctx.entry = entry if ctx.vocab is not None else None
    labels = {e.id: picker_label(e) for e in entries + real}
    labels[AUTO] = _auto_label(ctx, best, real, question)
    picker.selectbox("Model (checkpoint)", [AUTO] + ids, format_func=labels.get, key=state.CKPT_PICK,
                     on_change=_on_ckpt,
                     help="What each model was trained to read, then its file name and how it was trained. The "
                     "best match is never one trained by gradient descent alone (the paper's method): those are here "
                     "to show where that method gets stuck. The real-tables model (2017 paper) reads plain English "
                     "on any table; the synthetic ones read their own small question language.")
    return ctx.entry


def _auto_label(ctx: Context, best: checkpoints.Entry | None, real: list[checkpoints.Entry],
                question: str | None) -> str:
    """The picker's 'auto' line: the real-tables model when it answers `question`, else the best synthetic match."""
    if question is not None and real_answers_because(ctx, question):
        return f"Best match for this question: {real_tables.REAL_NAME}"
    label = f"Best match for the table: {picker_label(best)}" if best else "Best match (none: pick one)"
    if checkpoints.find(real, checkpoints.REAL_ID):
        label += "; plain-English questions go to the real-tables model"
    return label


def real_answers_because(ctx: Context, question: str) -> str | None:
    """Why the real-tables model (2017) answers `question` while the picker is on best match (a phrase after
    "because"); None when the synthetic checkpoint answers it, or one is picked (the page's own choice)."""
    if ss.get(state.CKPT) or real_entry() is None or not question.strip():
        return None
    if ctx.entry is None:
        return "no synthetic model fits this table"
    guess = honest_guess(ctx, question)
    return None if guess is None else "the synthetic model " + guess.reasons[0].removeprefix("it ")


def vocab_of(entry: checkpoints.Entry, box) -> object | None:
    """The checkpoint's vocabulary, or None after saying in `box` why it cannot be used."""
    try:
        return checkpoints.load(entry)[1]
    except CheckpointError as e:
        box.error(f"This checkpoint cannot be used: {escape.md(e)}. Pick another one.")
        return None


def _missing_text(ckpt_id: str) -> str:
    """The sentence saying that the checkpoint is not here, as markdown (the id is whatever a link held)."""
    if ckpt_id == checkpoints.REAL_ID:
        return "The real-tables model's checkpoint is not here"
    return f"There is no checkpoint '{escape.md(ckpt_id)}' here"


def missing_warning(ctx: Context, real: bool) -> None:
    """Where the answer is: the asked-for checkpoint is not here, and which model answers instead."""
    if ctx.missing is None:
        return
    if real:
        instead = f"{real_tables.REAL_NAME} answers instead"
    elif ctx.entry is not None:
        instead = f"the best match for the table answers instead: {model_summary(ctx.entry)}"
    else:
        instead = "no other checkpoint fits this table: pick one under “Change the table or the model”"
    st.warning(f"{_missing_text(ctx.missing)}; {instead}.", icon=":material/report:")


def details(e: checkpoints.Entry) -> str:
    """", <how it was trained>, <n>% right on its test set": every accuracy shown says which method gave it."""
    how = f", {METHODS[e.method]}" if e.method else ""
    acc = f", {e.accuracy:.0%} right on its test set" if e.accuracy is not None and e.accuracy >= 0 else ""
    return how + acc


def picker_label(e: checkpoints.Entry) -> str:
    """The plain name (what a class reads), then the id and training details (what a researcher needs)."""
    return e.label if e.family == WTQ2017 else f"{e.plain_name}  ·  {e.id}{details(e)}"


def model_summary(entry: checkpoints.Entry | None) -> str:
    """The model in one line of markdown, for the summary above the question."""
    if entry is None:
        return "none picked"
    return f"{escape.md(entry.plain_name)} ({escape.md(entry.id)}{details(entry)})"


def fit_warnings(ctx: Context) -> None:
    if ctx.entry is not None:
        for p in checkpoints.fit_problems(ctx.entry, ctx.columns, ctx.kinds):
            st.warning(escape.md(p[0].upper() + p[1:] + "."))


def _submit() -> None:
    """The box's text becomes the question; a paste longer than the limit is cut (and the user told) rather
    than refused by the browser, which would drop the whole paste."""
    text = str(ss.get(state.QUESTION_BOX, ""))
    ss[state.QUESTION_CUT] = len(text) if len(text) > QUESTION_MAX_CHARS else None
    if ss[state.QUESTION_CUT]:
        ss[state.QUESTION_BOX] = text = text[:QUESTION_MAX_CHARS]
    ss[state.QUESTION] = " ".join(text.split())
    ss[state.FOCUS] = None


def ask_instead(question: str) -> None:
    """Put `question` in the box and ask it (the one-click suggestion of an honest guess)."""
    ss[state.QUESTION_BOX] = question
    _submit()


def _pick_example(key: str = state.EXAMPLE_PICK) -> None:
    q = ss.get(key)
    if q:
        ss[state.QUESTION] = ss[state.QUESTION_BOX] = q
        ss[state.FOCUS] = None
    ss[key] = None


def question_box(ctx: Context, word_check: bool = True) -> None:
    """Question input (answered as the user types, after a short pause), Ask button, example
    questions and (when `word_check`: the synthetic model answers) the word check of the draft."""
    if state.QUESTION_BOX not in ss:
        ss[state.QUESTION_BOX] = ss.get(state.QUESTION, "")
    real = real_entry() is not None  # a 2017 model answers plain English
    left, mid, right = st.columns([6, 1, 1.4], vertical_alignment="bottom")
    left.text_input("Question", key=state.QUESTION_BOX, on_change=_submit, live=LIVE_DELAY,
                    placeholder=PLACEHOLDER_REAL if real else PLACEHOLDER,
                    help=f"The answer follows as you type. The model reads at most {QUESTION_MAX_CHARS} characters.")
    mid.button("Ask", type="primary", on_click=_submit, key="ask", width="stretch")
    ex = (questions.examples(ctx.columns, ctx.rows, ctx.kinds, ctx.entry.ops, ctx.entry.task)
          if ctx.entry is not None and ctx.columns else [])
    sample = None if ss.get(state.TABLE_EDITED) else (ss.get(state.TABLE_SOURCE) or {}).get("id")
    plain = example_questions.plain_examples(ctx.columns, ctx.rows, ctx.kinds, sample) if real and ctx.columns else []
    with right.popover("Examples", icon=":material/lightbulb:", width="stretch", disabled=not (ex or plain),
                       help="Questions the model was trained to read, written for this table"):
        if ex:  # in a popover, so the first screen keeps its room for the answer
            st.pills("Example questions for this table and model", ex, format_func=escape.md, key=state.EXAMPLE_PICK,
                     on_change=_pick_example)
        if plain:
            st.pills("In plain English (the real-tables model, 2017, answers these)", plain, format_func=escape.md,
                     key=state.EXAMPLE_PICK_PLAIN, on_change=_pick_example, args=(state.EXAMPLE_PICK_PLAIN,))
    if ss.get(state.QUESTION_CUT):
        st.info(f"The question had {ss[state.QUESTION_CUT]:,} characters; the model reads at most "
                f"{QUESTION_MAX_CHARS}, so it was cut to the first {QUESTION_MAX_CHARS}.")
    if word_check and ctx.vocab is not None and ss.get(state.QUESTION_BOX):
        report = questions.word_report(ss[state.QUESTION_BOX], ctx.vocab, ctx.columns, ctx.rows, ctx.kinds)
        notes = []
        if report["unknown"]:
            notes.append(f"unknown to the model (it reads them as {escape.md('<unk>')}): **"
                         + escape.md_join(report["unknown"]) + "**")
        for key, found in (("by_name", "column names, found by name"),
                           ("in_cells", "cells of the table, found by matching")):
            if report[key]:
                notes.append(f"not in its vocabulary but {found}: "
                             + ", ".join(f"{escape.md(w)} → {escape.md(c)}" for w, c in report[key].items()))
        if report["comparison_without_number"]:
            notes.append("the question compares but has no number: add one, e.g. 'greater 50 sales'")
        if notes:
            st.caption("Words: " + "; ".join(notes))


def refused_for_limits(question: str, problem: str | None) -> bool:
    """Say where the answer would be why the question is over a limit (`problem`, from questions.limit_problem),
    and log one line: a user's long question is no server fault, so no traceback. False when within them."""
    if problem is None:
        return False
    log.warning("question refused (%d characters): %s", len(question), problem)
    st.warning(escape.md(problem), icon=":material/block:")
    return True


def table_problems(ctx: Context) -> bool:
    """Say why the table cannot be run yet, if it cannot (True then)."""
    for p in ctx.problems:
        st.error(f"The model cannot run yet: {escape.md(p)}.")
    return bool(ctx.problems)


def get_trace(ctx: Context, question: str) -> dict | None:
    """The trace of the question on the table, or None after showing a message."""
    if table_problems(ctx) or ctx.entry is None:
        return None
    if refused_for_limits(question, questions.limit_problem(question, ctx.columns)):
        return None
    if not question.strip():
        st.info("Type a question, or pick one of the example questions.")
        return None
    report = questions.word_report(question, ctx.vocab, ctx.columns, ctx.rows, ctx.kinds)
    if all(w in report["unknown"] for w in report["words"]):
        st.info("None of the question's words is known to this model. Use the words of the examples: sum, count, "
                "print, greater, lesser, and, or, difference and the column names.")
        return None
    try:
        return checkpoints.run_trace(ctx.entry, ctx.columns, ctx.rows, question)
    except CheckpointError as e:
        st.error(f"This checkpoint cannot be used: {escape.md(e)}. Pick another one.")
    except Exception as e:  # noqa: BLE001 - shown as a message, never as a traceback
        log.exception("trace failed")
        st.error(f"The model could not run on this table and question ({type(e).__name__}: {escape.md(e)}). "
                 "Check the table for unusual cells, or try another question.")
    return None


@dataclass(frozen=True)
class Guess:
    """Why the answer to a question is a guess, and the closest question the model does understand."""

    reasons: list[str]
    suggestion: str | None


@st.cache_data(max_entries=256, show_spinner=False)
def _closest(question: str, columns: list[str], rows: list[list], kinds: list[str], ops: tuple[str, ...],
             ckpt: str, _vocab) -> str | None:
    return guesses.closest_question(question, columns, rows, kinds, ops, _vocab)


def honest_guess(ctx: Context, question: str) -> Guess | None:
    """None when the model was trained on questions like this one; else why its answer is a guess."""
    if ctx.entry is None or ctx.vocab is None:
        return None
    report = questions.word_report(question, ctx.vocab, ctx.columns, ctx.rows, ctx.kinds)
    reasons = guesses.guess_reasons(question, ctx.columns, report)
    if not reasons:
        return None
    ckpt = f"{ctx.entry.path}:{ctx.entry.mtime}"
    return Guess(reasons, _closest(question, ctx.columns, ctx.rows, ctx.kinds, ctx.entry.ops, ckpt, ctx.vocab))
