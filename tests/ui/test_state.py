"""The session-state table: every key starts at its default in every session (never a shared object), and
each URL parameter's parser accepts exactly what it documents."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.core.limits import QUESTION_MAX_CHARS
from explorer import state
from tests.ui.helpers import new_app

PARSERS = {p.name: p.parse for p in state.URL_PARAMS}


def test_every_default_is_set_in_a_new_session_and_not_shared():
    a, b = new_app(), new_app()
    for key, default in state.DEFAULTS.items():
        if key in (state.TABLE_VER, state.TABLE_SOURCE):  # the landing page loads the default sample
            continue
        assert a.session_state[key] == default, key
    a.session_state[state.CUSTOM].append({"question": "count"})
    a.session_state[state.HEATMAP_SEEN]["x"] = 1
    assert state.DEFAULTS[state.CUSTOM] == [] and state.DEFAULTS[state.HEATMAP_SEEN] == {}
    assert b.session_state[state.CUSTOM] == []


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=4))
def test_step_parameter_is_an_ascii_number_in_range(text):
    ok = text.isascii() and text.isdigit() and 1 <= int(text) <= state.STEP_MAX and len(text) <= 3
    if ok:
        assert PARSERS["step"](text) == int(text)
    else:
        with pytest.raises(ValueError, match=f"from 1 to {state.STEP_MAX}"):
            PARSERS["step"](text)


@pytest.mark.parametrize("name, good, bad", [
    ("ckpt", ["names-5", "trained/names-5-20260101-120000-ab12", "a.b_c"], ["", "../x", "a/b", "<b>", "x" * 101]),
    ("run", ["0123456789abcdef0123456789abcdef"], ["0123456789ABCDEF0123456789ABCDEF", "0" * 31, "g" * 32]),
    ("view", ["hard", "soft"], ["", "Soft", "<b>soft</b>"]),
])
def test_parameter_formats(name, good, bad):
    for text in good:
        assert PARSERS[name](text) == text
    for text in bad:
        with pytest.raises(ValueError):
            PARSERS[name](text)


def test_question_parameter_limit():
    assert PARSERS["q"]("  sum   sales ") == "sum sales"
    assert PARSERS["q"]("x" * QUESTION_MAX_CHARS) == "x" * QUESTION_MAX_CHARS
    with pytest.raises(ValueError, match=f"the limit is {QUESTION_MAX_CHARS}"):
        PARSERS["q"]("x" * (QUESTION_MAX_CHARS + 1))
