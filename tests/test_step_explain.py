"""What each step reads (explorer/components/step_explain.py) matches what the engine computes, on forced
programs; the explanations' words; the trace player's JSON and its renderer writing no markup."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from engine.core.vocab import Vocab
from engine.np2016.data import tasks as data
from engine.np2016.trace import trace
from explorer.components import step_explain as ex
from explorer.components import trace_player

COLUMNS = ["name", "profit"]
ROWS = [["word:1", 10.0], ["word:2", 60.0], ["word:1", 70.5], ["word:3", 80.0], ["word:2", None]]
QUESTION = "greater 50 profit and lesser 75 profit word:1 name sum profit"
PROGRAMS = {
    "and": [("greater", 1), ("lesser", 1), ("and", None), ("sum", 1)],
    "or": [("lesser", 1), ("greater", 1), ("or", None), ("count", None)],
    "diff": [("sum", 1), ("reset", None), ("count", None), ("difference", None)],
    "early": [("or", None), ("difference", None), ("text_match", 0), ("assign", 1)],
}


@pytest.fixture
def vocab():
    return Vocab(data.vocabulary("columns-5") + data.TEXT_WORDS + COLUMNS)


def run(vocab, model_factory, forcer, program):
    model = forcer(model_factory(vocab, text=True), vocab, program, COLUMNS, {"greater": 0, "lesser": 1})
    return trace(model, vocab, COLUMNS, ROWS, QUESTION)


@pytest.mark.parametrize("name", list(PROGRAMS))
def test_what_a_step_reads_is_what_the_engine_used(vocab, model_factory, forcer, name):
    """Hard execution (one-hot choices): each output is exactly the operation applied to what `reads` names
    (the soft view mixes every operation, so no single input explains it)."""
    view = "hard"
    t = run(vocab, model_factory, forcer, PROGRAMS[name])
    for step in t["steps"]:
        r = ex.reads(step["op"], step["t"])
        rows = ex.rows_of(t, step["t"], view)
        scalar = step["extra"]["scalar_soft" if view == "soft" else "scalar_hard"]
        if step["op"] in ("and", "or"):
            a, b = (ex.rows_of(t, s, view) for s in r.steps)
            pick = min if step["op"] == "and" else max
            assert rows == pytest.approx([pick(x, y) for x, y in zip(a, b, strict=True)], abs=1e-3)
        elif step["op"] == "difference":
            a, b = (ex.scalar_of(t, s, view) for s in r.steps)
            assert scalar == pytest.approx(a - b, rel=1e-4, abs=1e-3)
        elif step["op"] == "count":
            assert scalar == pytest.approx(sum(ex.rows_of(t, r.steps[0], view)), abs=1e-3)
        if step["op"] in ex.NO_ROWS_AFTER:
            assert ex.selected(rows) == 0  # the reason row_line gives
            assert "not rows" in ex.row_line(step, t, view)
        if step["op"] == "reset":
            assert ex.selected(rows) == len(ROWS) and "selects every row again" in ex.row_line(step, t, view)


def test_inputs_before_the_first_step_are_the_start(vocab, model_factory, forcer):
    t = run(vocab, model_factory, forcer, PROGRAMS["early"])
    assert ex.reads("or", 1).steps == (-1, 0) and ex.name(0) == "start"
    assert ex.rows_of(t, 0, "hard") == [1.0] * len(ROWS) and ex.scalar_of(t, -1, "hard") == 0.0
    line = ex.difference_line(t["steps"][1], t, "hard")
    assert line.startswith("difference reads the scalar of start (three steps back) and of t1 (one step back)")
    assert "before t1 every scalar is 0" in line


def test_column_and_attention_lines_name_no_column_at_column_less_steps(vocab, model_factory, forcer):
    t = run(vocab, model_factory, forcer, PROGRAMS["and"])
    and_step, sum_step = t["steps"][2], t["steps"][3]
    assert ex.column_line(sum_step) == "Column used: profit."
    assert "profit" not in ex.column_line(and_step) and "and uses no column" in ex.column_line(and_step)
    words = ex.attention_line(and_step, t["words"], t["columns"])
    listed = words.split(" (column names")[0]
    assert "profit" not in listed and "name" not in listed
    assert words.endswith("(column names left out: and uses no column)")
    assert "profit" in ex.attention_line(sum_step, t["words"], t["columns"], top=len(t["words"]))


@pytest.mark.parametrize("view", ["hard", "soft"])
def test_player_payload(vocab, model_factory, forcer, view):
    t = run(vocab, model_factory, forcer, PROGRAMS["diff"])
    df = pd.DataFrame(ROWS, columns=COLUMNS, dtype=object)
    p = trace_player.payload(t, df, view, current=9)
    assert json.loads(json.dumps(p, allow_nan=False)) == p
    assert p["current"] == 4  # clamped to T
    assert [s["line"] for s in p["steps"]] == t["program_text"]
    assert p["rows"][4] == ["word:2", ""] and p["rows"][0] == ["word:1", "10"]
    if view == "hard":
        assert [s["output"] for s in p["steps"]] == ["scalar 220.5", "5 rows", "scalar 5", "scalar 215.5"]
        assert [s["p_op"][p["ops"].index("count")] for s in p["steps"]] == [0, 0, 1, 0]
    assert p["steps"][3]["reads"] == {"kind": "scalars", "steps": [1, 3]}
    assert p["steps"][1]["column"] is None and p["steps"][0]["column"] == "profit"
    for s in p["steps"]:
        assert len(s["p_op"]) == len(p["ops"]) and len(s["p_col"]) == len(COLUMNS) and len(s["rows"]) == 5


def test_player_payload_caps_the_rows():
    big = {"steps": [], "ops": [], "columns": ["A"], "n_rows": 500, "program_text": []}
    p = trace_player.payload(big, pd.DataFrame({"A": list(range(500))}), "hard")
    assert len(p["rows"]) == trace_player.MAX_ROWS and p["n_rows"] == 500


def test_the_renderer_writes_no_markup():
    """User strings reach the page only through textContent and attribute values (no HTML parsing)."""
    js = (trace_player.HERE / "trace_player.js").read_text(encoding="utf-8")
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function"):
        assert sink not in js, sink
    assert "textContent" in js
