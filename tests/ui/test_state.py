"""The session-state table: every key starts at its default in every session (never a shared object), each URL
parameter's parser accepts exactly what it documents, and the real-tables (2017) pages keep their session keys
in explorer/state.py too."""

from __future__ import annotations

import ast

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.core.limits import QUESTION_MAX_CHARS
from explorer import checkpoints, state
from tests.ui.helpers import ROOT, new_app

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
    ("ckpt", ["names-5", "trained/names-5-20260101-120000-ab12", "a.b_c", checkpoints.REAL_ID],
     ["", "../x", "a/b", "<b>", "x" * 101]),
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


REAL_TABLES_MODULES = ("explorer/lesson_real_tables.py", "explorer/components/model_choice.py",
                       "explorer/real_tables.py")


def _session_keys(tree: ast.AST) -> list[ast.expr]:
    """The key of every st.session_state[...] (or ss[...]: ss = st.session_state) and .get/.pop/.setdefault."""
    def is_session(node) -> bool:
        return (isinstance(node, ast.Attribute) and node.attr == "session_state") or (
            isinstance(node, ast.Name) and node.id == "ss")

    keys = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Subscript) and is_session(node.value):
            keys.append(node.slice)
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and is_session(node.func.value)
              and node.func.attr in ("get", "pop", "setdefault") and node.args):
            keys.append(node.args[0])
    return keys


@pytest.mark.parametrize("module", REAL_TABLES_MODULES)
def test_the_real_tables_pages_keep_their_session_keys_in_state(module):
    tree = ast.parse((ROOT / module).read_text(encoding="utf-8"))
    keys = _session_keys(tree)
    outside = [ast.unparse(k) for k in keys if not (isinstance(k, ast.Attribute) and ast.unparse(k.value) == "state")]
    assert not outside, f"{module} uses session keys outside explorer/state.py: {outside}"
    assert not any("query_params" in ast.unparse(n) for n in ast.walk(tree) if isinstance(n, ast.Attribute))
