"""AppTest: the Step through page explains each step, on the shipped columns-3 checkpoint and the letters_3
table (its programs checked with `python -m engine ask`):

- "greater 20 A and lesser 30 B count": greater A → 5 rows; lesser B → 6 rows; and → 4 rows; count → 4;
- "sum A diff count": sum A → 185.3; reset; count → 10; difference t1 − t3 → 175.3.
"""

from __future__ import annotations

import json

import pytest

from explorer import state
from explorer.components import step_panels
from tests.ui.helpers import ROOT, keyed_block, new_app, page, texts, visible, walk

AND_QUESTION = "greater 20 A and lesser 30 B count"
DIFF_QUESTION = "sum A diff count"


@pytest.fixture(autouse=True)
def shipped(monkeypatch):
    monkeypatch.setenv("NPX_CHECKPOINT_DIRS", str(ROOT / "checkpoints"))


def step_page(question: str, step: int):
    at = new_app({"table": "letters_3", "q": question, "ckpt": "columns-3", "step": str(step)})
    at = page(at, "step")
    assert not at.exception, at.exception
    assert at.session_state[state.STEP] == step
    return at


def explained(at) -> str:
    block = keyed_block(at, step_panels.EXPLAIN_KEY)
    return "\n".join(visible(n.value) for n in walk(block) if getattr(n, "type", None) in ("markdown", "caption",
                                                                                            "info"))


def metrics(at) -> dict:
    return {visible(m.label): m.value for m in at.metric}


def test_and_shows_both_inputs_beside_the_result():
    at = step_page(AND_QUESTION, 3)
    text = explained(at)
    assert "Step t3 of 4:" in text and "(t1, t2) → 4 rows" in text
    assert "Input: rows selected after t1** · 5 of 10 rows" in text
    assert "Input: rows selected after t2** · 6 of 10 rows" in text
    assert "Result of and: rows in both inputs** · 4 of 10 rows" in text
    assert len(at.dataframe) == 3  # the two inputs and the result
    assert "and keeps the rows selected in both of t1 and t2" in text


def test_difference_shows_the_scalars_it_reads():
    at = step_page(DIFF_QUESTION, 4)
    shown = metrics(at)
    assert shown["t1 scalar"] == "185.3" and shown["t3 scalar"] == "10"
    assert shown["t4 result: t1 − t3"] == "175.3"
    assert len(at.dataframe) == 0  # no empty tables: the scalars are what it reads
    assert "185.3 − 10 = 175.3" in explained(at)


def test_the_empty_row_selector_after_sum_and_what_reset_does_are_explained():
    at = step_page(DIFF_QUESTION, 1)
    text = explained(at)
    assert "Row selector after t1: 0 of 10 rows." in text
    assert "sum outputs a number (the scalar), not rows" in text
    at = step_page(DIFF_QUESTION, 2)
    text = explained(at)
    assert "Step t2 of 4:** reset" in text
    assert "Row selector after t2: 10 of 10 rows. reset selects every row again" in text
    at = step_page(AND_QUESTION, 4)
    assert "count outputs a number (the scalar), not rows" in explained(at)


def test_no_column_is_named_at_a_step_that_uses_none():
    at = step_page(AND_QUESTION, 4)  # count
    assert metrics(at)["Column"] == "—"
    captions = texts(at.caption)
    attention = next(line for line in captions.splitlines() if line.startswith("Question words"))
    words = attention.split(": ", 1)[1].split(" (column names")[0]
    assert all(w.split(" (")[0] not in ("A", "B", "C") for w in words.split(", ")), attention
    assert "count uses no column" in captions
    spec = json.loads(at.get("plotly_chart")[1].proto.spec)
    assert "not used" in spec["layout"]["title"]["text"]
    colors = spec["data"][0]["marker"]["color"]
    assert "#d62728" not in colors  # no column is marked as chosen
    at = step_page(AND_QUESTION, 1)  # greater A: its column is named
    assert metrics(at)["Column"] == "A"


def test_numbering_is_t1_to_t4_with_reset_steps():
    at = step_page(DIFF_QUESTION, 1)
    code = next(n for n in walk(at._tree) if getattr(n, "type", None) == "code")
    assert code.proto.wrap_lines  # long lines wrap instead of being cut
    program = code.value.splitlines()
    assert [line.split(". ")[0] for line in program] == ["t1", "t2", "t3", "t4"]
    assert program[1] == "t2. reset: select all rows"
    assert program[3].startswith("t4. difference") and "(t1 − t3)" in program[3]
    assert at.select_slider(key=state.STEP_SLIDER).options == ["t1", "t2", "t3", "t4"]


def test_the_player_gets_the_trace_as_data():
    at = step_page(AND_QUESTION, 2)
    (player,) = at.get("bidi_component")
    data = json.loads(player.proto.json)
    assert data["current"] == 2 and [s["name"] for s in data["steps"]] == ["t1", "t2", "t3", "t4"]
    assert [s["line"] for s in data["steps"]] == next(
        n for n in walk(at._tree) if getattr(n, "type", None) == "code").value.splitlines()
    assert data["steps"][2]["reads"] == {"kind": "rows", "steps": [1, 2]}
    assert data["steps"][3]["column"] is None and data["steps"][0]["column"] == "A"
    assert sum(w >= 0.5 for w in data["steps"][2]["rows"]) == 4
    speeds = [speed["ms"] for speed in data["speeds"]]
    assert speeds[data["speed"]] == 1000 and max(speeds) >= 3000  # one a second, and slow enough for a projector


def test_the_soft_view_explains_mixed_weights():
    at = step_page(AND_QUESTION, 3)
    at.button_group(key=state.STEP_VIEW).set_value("soft").run()
    assert not at.exception, at.exception
    assert at.session_state[state.VIEW] == "soft"
    text = explained(at)
    assert "rows weigh ½ or more. In the soft view" in text and "the chosen one, and" in text
    assert len(at.dataframe) == 3
    assert json.loads(at.get("bidi_component")[0].proto.json)["view"] == "soft"
