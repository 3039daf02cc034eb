"""Which model answers a question: the synthetic (2016) checkpoint picked for the table, or the real-tables
model (2017 paper, trained on WikiTableQuestions; explorer/real_tables.py), and the real-tables model's trace.

The real-tables model answers when the user picks it in the Model tab (REAL_ID), or, with the picker on
"best match", when the question is plain English the synthetic checkpoint cannot read (context.honest_guess:
words it does not know, or a form of question it was never trained on). The answer then says which model
answered and why, with one click back to the synthetic model. Without the 2017 checkpoint nothing changes:
the synthetic model answers, and its guess says so.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass

import streamlit as st

from engine.core.safetensors_reader import CheckpointError
from explorer import escape, questions, real_tables, state
from explorer.components import context

log = logging.getLogger(__name__)
REAL_ID = "real-tables-2017"  # the picker's (and the URL's ckpt=) name for the real-tables model
REAL_NAME = "the real-tables model (2017 paper, trained on WikiTableQuestions)"
BACK_KEY = "use_synthetic"  # the one-click button back to the synthetic model
USE_REAL_KEY = "use_real"  # the button on a synthetic guess that asks the real-tables model instead


@dataclass(frozen=True)
class Choice:
    """The model that answers: real (the 2017 model) or not, and why (a phrase after "because")."""

    real: bool
    reason: str | None = None
    picked: bool = False  # chosen in the Model tab (else chosen by the page for a plain-English question)


def available() -> bool:
    return real_tables.available()


def label() -> str:
    """The real-tables model in the picker: what it reads, then its file and how it was trained, with its dev
    accuracy (the set that chose it: there is no test accuracy for it)."""
    name = "Real tables, plain English (2017 paper, WikiTableQuestions)"
    try:
        summary = real_tables.info().get("summary", {})
    except (CheckpointError, OSError) as e:
        return f"{name} (cannot be read: {e})"
    how = [summary[k] if k == "method" else f"preset {summary[k]}" for k in ("method", "preset") if summary.get(k)]
    acc = summary.get("dev_accuracy")
    if isinstance(acc, int | float):
        how.append(f"{acc:.1%} right on the WikiTableQuestions dev set (the set that chose it; no test accuracy)")
    return f"{name}  ·  {real_tables.checkpoint_path().stem}" + (", " + ", ".join(how) if how else "")


def method_note() -> str:
    """How the real-tables checkpoint was trained, for the figures it draws: "preset wtq2017, gradient descent…"."""
    try:
        summary = real_tables.info().get("summary", {})
    except (CheckpointError, OSError):
        return ""
    return ", ".join(str(x) for x in (f"preset {summary['preset']}" if summary.get("preset") else None,
                                      summary.get("method")) if x)


def picked() -> bool:
    return st.session_state.get(state.CKPT) == REAL_ID


def choose(ctx: context.Context, question: str) -> Choice:
    """Which model answers `question` on the table (see the module's docstring)."""
    if picked():
        return Choice(True, "you picked it in the Model tab", picked=True) if available() else Choice(False)
    if st.session_state.get(state.CKPT) or not available() or not question.strip():
        return Choice(False)
    if ctx.entry is None:
        return Choice(True, "no synthetic model fits this table")
    guess = context.honest_guess(ctx, question)
    if guess is None:
        return Choice(False)
    return Choice(True, "the synthetic model " + guess.reasons[0].removeprefix("it "))


@st.cache_data(max_entries=256, show_spinner=False)
def _traced(path: str, mtime: float, table_json: str, question: str) -> dict:
    table = json.loads(table_json)
    return real_tables.answer(table["columns"], table["rows"], question)


def get_trace(ctx: context.Context, question: str) -> dict | None:
    """The real-tables model's trace of the question on the table, or None after showing a message."""
    if ctx.problems:
        for p in ctx.problems:
            st.error(f"The model cannot run yet: {escape.md(p)}.")
        return None
    if not question.strip():
        st.info("Type a question about the table, in plain English.")
        return None
    limit = questions.limit_problem(question) or questions.huge_number_problem(question)
    if context.refused_for_limits(question, limit):
        return None
    path = real_tables.checkpoint_path()
    try:
        return _traced(str(path), path.stat().st_mtime, json.dumps({"columns": ctx.columns, "rows": ctx.rows}),
                       question)
    except (CheckpointError, OSError) as e:
        st.error(f"The real-tables model cannot be used: {escape.md(e)}.")
    except Exception as e:  # noqa: BLE001 - shown as a message, never as a traceback
        log.exception("real-tables trace failed")
        st.error(f"The real-tables model could not run on this table and question ({type(e).__name__}: "
                 f"{escape.md(e)}). Check the table for unusual cells, or try another question.")
    return None


def _use_synthetic(ckpt_id: str) -> None:
    st.session_state[state.CKPT] = ckpt_id


def _use_real() -> None:
    st.session_state[state.CKPT] = REAL_ID


def answered_by(choice: Choice) -> None:
    """The line saying which model answered and why (compact: the first screen also holds the program)."""
    st.caption(f":material/travel_explore: **Answered by {REAL_NAME}** because "
               f"{escape.md(choice.reason or 'it was picked')}.")


def back_button(ctx: context.Context) -> None:
    """One click back to the synthetic model (pinned in the Model tab)."""
    if ctx.entry is not None:
        st.button("Answer with the synthetic model instead", key=BACK_KEY, icon=":material/undo:",
                  on_click=_use_synthetic, args=(ctx.entry.id,),
                  help=f"{escape.md(ctx.entry.plain_name)} ({escape.md(ctx.entry.id)}). Pins it in the Model "
                  "tab; pick “Best match” there to let the page choose again")


def offer_real() -> None:
    """On a synthetic model's guess: one click to ask the real-tables model instead (when it is here)."""
    if available():
        st.button("Ask the real-tables model (plain English, 2017) instead", key=USE_REAL_KEY,
                  icon=":material/travel_explore:", on_click=_use_real)
