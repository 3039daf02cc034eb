"""One trace schema for both model families (engine/core/trace.py, docs/trace.md): a 2016 trace and a 2017 trace
of the same table and question, each from its shipped checkpoint, have the same "schema", the same top-level
keys, the same answer keys and the same per-step keys, and `problems` finds what a broken trace lacks."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from engine.core import trace as schema
from engine.np2016 import checkpoint as np2016_checkpoint
from engine.np2016.trace import trace as np_trace
from engine.wtq2017 import checkpoint as wtq2017_checkpoint
from engine.wtq2017.trace import ask_table

CHECKPOINTS = Path(__file__).resolve().parents[2] / "checkpoints"  # both files are tracked in git
COLUMNS, ROWS = ["A"], [[3.0], [7.0], [5.0], [1.0]]
QUESTION = "sum A"


@pytest.fixture(scope="module")
def traces() -> dict[str, dict]:
    model, vocab, _ = np2016_checkpoint.load_checkpoint(CHECKPOINTS / "single-column.safetensors")
    wtq_model, wtq_vocab, _ = wtq2017_checkpoint.load_checkpoint(CHECKPOINTS / "wtq2017.safetensors")
    return {"np2016": np_trace(model, vocab, COLUMNS, ROWS, QUESTION),
            "wtq2017": ask_table(wtq_model, wtq_vocab, COLUMNS, ROWS, QUESTION, notes=["a note"])}


def test_both_families_emit_the_same_schema(traces):
    old, new = traces["np2016"], traces["wtq2017"]
    for family, tr in traces.items():
        assert schema.problems(tr) == [] and schema.check(tr) is tr
        assert tr["schema"] == schema.SCHEMA and tr["family"] == family
        assert json.loads(json.dumps(tr, allow_nan=False)) == tr
        assert list(tr) == list(schema.TOP_KEYS) and list(tr["answer"]) == list(schema.ANSWER_KEYS)
        assert all(list(s) == list(schema.STEP_KEYS) for s in tr["steps"])
    assert set(old) == set(new) and set(old["answer"]) == set(new["answer"])
    assert {k for s in old["steps"] for k in s} == {k for s in new["steps"] for k in s}
    assert old["rows"] == ROWS and new["rows"] == [[str(int(v))] for v, in ROWS]  # the table as the family read it
    assert old["n_rows"] == new["n_rows"] == len(ROWS)
    assert new["warnings"][0] == "a note"  # the table's notes first, then "sum": no such 2017 operation
    assert [f["operation"] for f in new["extra"]["cannot_say"]] == ["sum"] and len(new["warnings"]) == 2


def test_ask_prints_the_answer_program_and_warnings(traces):
    for tr in traces.values():
        lines = schema.answer_lines(tr)
        assert lines[0] == f"answer: {tr['answer']['text']}" and lines[1] == "program:"
        assert lines[2:2 + len(tr["program_text"])] == [f"  {line}" for line in tr["program_text"]]
        assert lines[2 + len(tr["program_text"]):] == [f"warning: {w}" for w in tr["warnings"]]


def test_problems_names_what_is_wrong(traces):
    tr = json.loads(json.dumps(traces["np2016"]))
    tr["schema"] = "something/0"
    del tr["steps"][0]["sentence"]
    tr["steps"][1]["column_name"] = "not a column"
    tr["steps"][1]["column_index"] = 0
    tr["answer"]["kind"] = "lookup"
    wrong = schema.problems(tr)
    assert any("schema is 'something/0'" in w for w in wrong) and any("unknown kind 'lookup'" in w for w in wrong)
    assert "step 1: missing sentence" in wrong and "step 2: column_index and column_name disagree" in wrong
    with pytest.raises(ValueError, match="not a np-explorer-trace/1 trace"):
        schema.check(tr)
    assert schema.problems({"schema": schema.SCHEMA}) == ["trace: missing " + ", ".join(schema.TOP_KEYS[1:])]
