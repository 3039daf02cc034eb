"""AppTest: what the Ask page says where the answer would be (issue 19, items 8 and 9).

A question over a limit (too long, too many numbers) is refused in plain words, as a warning where the answer
would be, with one log line and no traceback; before, the engine's refusal surfaced as "InputError: line 0
(q): ..." (the real-tables model) or "ValueError: ... (QUESTION_MAX_NUMBERS) ..." (the synthetic one), and
each wrote a full traceback to the server log. A link's unknown `?ckpt=` is said above the answer, naming the
model that answers instead; before, it was said only inside the collapsed "Change the table or the model"
panel."""

from __future__ import annotations

import logging

import pytest

from engine.core.limits import QUESTION_MAX_CHARS, QUESTION_MAX_NUMBERS
from explorer import questions, state
from explorer.components.trace_view import ANSWER_KEY
from tests.ui.helpers import answer_of, markup_problems, new_app, texts, visible
from tests.ui.wtq_helpers import PLAIN, SHIPPED_WTQ

TABLE_PANEL = "Change the table or the model"
TOO_MANY = QUESTION_MAX_NUMBERS + 8
NUMBERS = " ".join(str(i) for i in range(TOO_MANY))


@pytest.fixture
def real_model(monkeypatch):
    assert SHIPPED_WTQ.is_file(), f"{SHIPPED_WTQ} is shipped with the repository"
    monkeypatch.setenv("NPX_WTQ_CHECKPOINT", str(SHIPPED_WTQ))


def _in_order(node):
    """Every node under `node`, in the order the page shows them (children by their index)."""
    yield node
    children = getattr(node, "children", {})
    for index in sorted(children):
        yield from _in_order(children[index])


def _block_id_endswith(node, key: str) -> bool:
    return type(node).__name__ == "Block" and str(getattr(node.proto, "id", "")).endswith(f"-{key}")


def _position(at, element) -> int:
    return next(i for i, n in enumerate(_in_order(at._tree)) if n is element)


def _inside(block, element) -> bool:
    return any(n is element for n in _in_order(block))


def _table_panel(at):
    return next(e for e in at.expander if TABLE_PANEL in e.label)


def _answer_block(at):
    return next(n for n in _in_order(at._tree) if _block_id_endswith(n, ANSWER_KEY))


def _refusal(at):
    """The warning that refuses the question; the page shows no error, no exception and no engine wording."""
    assert not at.exception, at.exception
    shown = "\n".join(visible(e.value) for e in (*at.error, *at.warning, *at.info, *at.markdown, *at.caption))
    assert "InputError" not in shown and "line 0" not in shown and "QUESTION_MAX" not in shown, shown
    assert not at.error, texts(at.error)
    found = [w for w in at.warning if "the limit is" in visible(w.value)]
    assert len(found) == 1, texts(at.warning)
    return visible(found[0].value)


def _logged_once_without_traceback(caplog) -> None:
    ours = [r for r in caplog.records if r.name.startswith("explorer")]
    assert [r.levelno for r in ours] == [logging.WARNING], [r.getMessage() for r in ours]
    assert ours[0].exc_info is None and "\n" not in ours[0].getMessage()
    assert not any(r.exc_info for r in caplog.records), "a traceback was logged"


# ----------------------------------------------------------------------------- item 8: questions over a limit

def test_the_limits_are_said_plainly():
    assert questions.limit_problem("sum sales") is None
    assert questions.limit_problem("sum sales " + NUMBERS) == (
        f"The question has {TOO_MANY} numbers; the limit is {QUESTION_MAX_NUMBERS}. "
        "Ask it with fewer numbers to get an answer.")
    long = "a" * 2_345
    assert questions.limit_problem(long).startswith(
        f"The question is 2,345 characters long; the limit is {QUESTION_MAX_CHARS:,}.")
    assert questions.huge_number_problem("sum sales 5") is None
    assert "1e999 in the question is beyond ±1e+300" in questions.huge_number_problem("sum sales 1e999")


def test_too_many_numbers_are_refused_where_the_answer_would_be(caplog):
    caplog.set_level(logging.INFO)
    at = new_app({"q": f"sum sales {NUMBERS}", "ckpt": "names-5"})
    said = _refusal(at)
    assert said.startswith(f"The question has {TOO_MANY} numbers; the limit is {QUESTION_MAX_NUMBERS}.")
    assert not any(_block_id_endswith(n, ANSWER_KEY) for n in _in_order(at._tree))  # no answer under it
    _logged_once_without_traceback(caplog)


def test_a_question_over_the_character_limit_is_refused_plainly(caplog):
    """The box cuts a paste and a link's q= is checked, but a question can still reach the answer unchecked
    (session state set by a page, a lesson or an example): the answer area refuses it the same way."""
    at = new_app({"ckpt": "names-5"})
    caplog.set_level(logging.INFO)
    at.session_state[state.QUESTION] = "sum sales " * 250
    said = _refusal(at.run())
    assert said.startswith(f"The question is 2,500 characters long; the limit is {QUESTION_MAX_CHARS:,}.")
    _logged_once_without_traceback(caplog)


def test_the_real_tables_model_refuses_too_many_numbers_plainly(real_model, caplog):
    """Before: "The real-tables model could not run ... (InputError: line 0 (q): the question has 40 numbers;
    the limit is 32)" and a traceback in the log."""
    caplog.set_level(logging.INFO)
    at = new_app({"q": f"{PLAIN} {NUMBERS}", "ckpt": "real-tables-2017"})
    said = _refusal(at)
    assert said.startswith(f"The question has {TOO_MANY} numbers")
    _logged_once_without_traceback(caplog)


def test_the_real_tables_model_refuses_a_huge_number_plainly(real_model, caplog):
    caplog.set_level(logging.INFO)
    at = new_app({"q": f"{PLAIN} 1e999", "ckpt": "real-tables-2017"})
    assert not at.exception and not at.error, texts(at.error)
    assert any("1e999 in the question is beyond" in visible(w.value) for w in at.warning), texts(at.warning)
    _logged_once_without_traceback(caplog)


# ----------------------------------------------------------------------------- item 9: an unknown ?ckpt=

def test_an_unknown_checkpoint_is_said_above_the_answer():
    at = new_app({"ckpt": "nope", "q": "sum sales"})
    assert not at.exception, at.exception
    said = [w for w in at.warning if "nope" in visible(w.value)]
    assert len(said) == 1, texts(at.warning)
    warning = said[0]
    assert not _inside(_table_panel(at), warning), "the warning is inside the collapsed table/model panel"
    assert _position(at, warning) < _position(at, _answer_block(at)), "the warning is not above the answer"
    text = visible(warning.value)
    assert "There is no checkpoint 'nope' here" in text
    assert "names-5" in text and "answers instead" in text  # which checkpoint answered
    assert answer_of(at) == "1936.8"  # the best match (the sum model) answered


def test_the_unknown_checkpoints_id_is_escaped():
    """A link's id may hold _ . - (state.CKPT_ID); a session may hold anything: neither forms markup."""
    at = new_app({"ckpt": "__nope__", "q": "sum sales"})
    warning = next(w for w in at.warning if "nope" in visible(w.value))
    assert "'__nope__'" in visible(warning.value) and "\\_\\_nope\\_\\_" in warning.value
    at = new_app({"q": "sum sales"})
    at.session_state[state.CKPT] = "[free marks](http://evil.example) ![t](http://evil.example/p.png)"
    at.run()
    assert not at.exception, at.exception
    assert any("free marks" in visible(w.value) for w in at.warning), texts(at.warning)
    assert markup_problems(at) == []
