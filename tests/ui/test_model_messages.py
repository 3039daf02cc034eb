"""AppTest: a message about a model appears only for the model that answers (issue 22, item 2). On the medal table
(text columns Rank and Nation) the real-tables model answers plain English; before, two yellow boxes above the
answer said the synthetic model "cannot filter on the text column(s) Rank, Nation: pick a text-* checkpoint", and
the Step page's picker offered "Best match for the table: …names-5" while the real-tables model answered."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from explorer import state
from explorer.real_tables import REAL_NAME
from tests.ui.helpers import TIMEOUT, ask, new_app, texts
from tests.ui.wtq_helpers import SHIPPED_WTQ

MEDALS = "wtq_medal_table"
PLAIN = "which nation won the most bronze medals?"
NO_TEXT_MATCH = "no text_match operation"  # checkpoints.fit_problems' sentence for a table with text columns
ANSWERED_BY_REAL = "Answered by the real-tables model"


@pytest.fixture
def real_model(monkeypatch):
    assert SHIPPED_WTQ.is_file(), f"{SHIPPED_WTQ} is shipped with the repository"
    monkeypatch.setenv("NPX_WTQ_CHECKPOINT", str(SHIPPED_WTQ))


def test_no_synthetic_warning_while_the_real_tables_model_answers(real_model):
    at = ask(new_app({"table": MEDALS}), PLAIN)
    assert not at.exception, at.exception
    assert ANSWERED_BY_REAL in texts(at.caption)
    assert NO_TEXT_MATCH not in texts(at.warning)


def test_the_synthetic_warning_stays_when_the_synthetic_model_answers(real_model):
    at = new_app({"table": MEDALS, "ckpt": "names-5"})  # pinned: the synthetic model answers every question
    at = ask(at, PLAIN)
    assert not at.exception, at.exception
    assert ANSWERED_BY_REAL not in texts(at.caption)
    assert NO_TEXT_MATCH in texts(at.warning)


def _picker_page(question: str | None) -> None:
    """A page with the medal table and the checkpoint picker (given the question, as a page that follows it)."""
    import streamlit as st

    from explorer import state
    from explorer.components import context

    state.init_state()
    if st.session_state.get(state.TABLE_SOURCE, {}).get("id") != "wtq_medal_table":
        state.load_sample("wtq_medal_table", with_question=False)
    st.session_state[state.QUESTION] = "which nation won the most bronze medals?"
    ctx = context.table_context()
    context.checkpoint_picker(ctx, question=None if question is None else st.session_state[state.QUESTION])


def _auto_label(question: str | None) -> str:
    at = AppTest.from_function(_picker_page, args=(question,), default_timeout=TIMEOUT).run()
    assert not at.exception, at.exception
    picker = at.selectbox(key=state.CKPT_PICK)
    assert picker.value == "auto"
    return picker.format_func("auto")


def test_the_picker_names_the_real_tables_model_for_its_question(real_model):
    label = _auto_label(PLAIN)
    assert label == f"Best match for this question: {REAL_NAME}"
    assert "names-5" not in label


def test_the_picker_without_a_question_names_the_synthetic_best_match(real_model):
    label = _auto_label(None)  # the Ask page: its picker is not drawn again as the question changes
    assert label.startswith("Best match for the table: ") and "names-5" in label
