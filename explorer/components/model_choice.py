"""Which model answers a question: the synthetic (2016) checkpoint picked for the table, or a 2017 real-tables model
(explorer/real_tables.py): the one picked in the Model tab or, with the picker on "best match", the shipped one for
plain English the synthetic checkpoint cannot read (`choose`); the answer says which and why, with one click back."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass

import streamlit as st

from engine.core.safetensors_reader import CheckpointError
from explorer import checkpoints, escape, questions, real_tables, state
from explorer.components import context

log = logging.getLogger(__name__)
REAL_ID = checkpoints.REAL_ID  # the shipped 2017 checkpoint's id (the picker's and the URL's ckpt=)
REAL_NAME = real_tables.REAL_NAME
BACK_KEY = "use_synthetic"  # the one-click button back to the synthetic model
USE_REAL_KEY = "use_real"  # the button on a synthetic guess that asks the real-tables model instead
ss = st.session_state


@dataclass(frozen=True)
class Choice:
    """The model that answers: real (the 2017 model) or not, and why (a phrase after "because")."""

    real: bool
    reason: str | None = None
    picked: bool = False  # chosen in the Model tab (else chosen by the page for a plain-English question)


def available() -> bool:
    """Whether a 2017 model answers here: the one picked, else the shipped one (context.real_entry)."""
    return context.real_entry() is not None


def method_note() -> str:
    """How the answering 2017 checkpoint was trained, for the figures it draws: "preset wtq2017, gradient…"."""
    entry = context.real_entry()
    return ", ".join(reversed(entry.how)) if entry else ""  # how: (method, preset)


def picked() -> bool:
    """Whether the session picked a 2017 checkpoint of the registry in the Model tab."""
    entry = context.real_entry()
    return entry is not None and entry.id == ss.get(state.CKPT)


def choose(ctx: context.Context, question: str) -> Choice:
    """Which model answers `question` on the table (see the module's docstring)."""
    if picked():
        return Choice(True, "you picked it in the Model tab", picked=True)
    reason = context.real_answers_because(ctx, question)
    return Choice(reason is not None, reason)


@st.cache_data(max_entries=256, show_spinner=False)
def _traced(path: str, mtime: float, table_json: str, question: str) -> dict:
    table = json.loads(table_json)
    return real_tables.answer(table["columns"], table["rows"], question, path)


def get_trace(ctx: context.Context, question: str) -> dict | None:
    """The real-tables model's trace of the question on the table, or None after showing a message."""
    if context.table_problems(ctx):
        return None
    if not question.strip():
        st.info("Type a question about the table, in plain English.")
        return None
    limit = questions.limit_problem(question) or questions.huge_number_problem(question)
    if context.refused_for_limits(question, limit):
        return None
    entry = context.real_entry()
    try:
        if entry is None or entry.error:
            raise CheckpointError(entry.error if entry else "its checkpoint is not here")
        trace = _traced(entry.path, entry.mtime, json.dumps({"columns": ctx.columns, "rows": ctx.rows}), question)
        trace["extra"]["confidence"] = real_tables.confidence(trace, entry.path)  # of the model that answered
        return trace
    except (CheckpointError, OSError) as e:
        st.error(f"The real-tables model cannot be used: {escape.md(e)}.")
    except Exception as e:  # noqa: BLE001 - shown as a message, never as a traceback
        log.exception("real-tables trace failed")
        st.error(f"The real-tables model could not run on this table and question ({type(e).__name__}: "
                 f"{escape.md(e)}). Check the table for unusual cells, or try another question.")
    return None


def _use(ckpt_id: str) -> None:
    ss[state.CKPT] = ckpt_id


def answered_by(choice: Choice) -> None:
    """The line saying which model answered and why (compact: the first screen also holds the program)."""
    st.caption(f":material/travel_explore: **Answered by {REAL_NAME}** because "
               f"{escape.md(choice.reason or 'it was picked')}.")


def back_button(ctx: context.Context) -> None:
    """One click back to the synthetic model (pinned in the Model tab)."""
    if ctx.entry is not None:
        st.button("Answer with the synthetic model instead", key=BACK_KEY, icon=":material/undo:",
                  on_click=_use, args=(ctx.entry.id,),
                  help=f"{escape.md(ctx.entry.plain_name)} ({escape.md(ctx.entry.id)}). Pins it in the Model "
                  "tab; pick “Best match” there to let the page choose again")


def offer_real() -> None:
    """On a synthetic model's guess: one click to ask the shipped real-tables model instead (when it is here)."""
    if checkpoints.find(checkpoints.all_checkpoints(), REAL_ID):
        st.button("Ask the real-tables model instead", key=USE_REAL_KEY,
                  icon=":material/travel_explore:", on_click=_use, args=(REAL_ID,))
