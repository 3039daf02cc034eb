"""AppTest: the Compare page's two trainings side by side — programs aligned step by step, the first step where
they part marked (line, table row and heatmap outline), and a fine-tuned checkpoint compared by default with the
checkpoint it started from.

The expected parting step is computed here from the engine's own traces (engine.np2016.trace), never written down.
"""

from __future__ import annotations

import json

import pytest

from engine.np2016.checkpoint import load_checkpoint, save_checkpoint
from engine.np2016.trace import trace
from explorer import escape, state, step_diff, tables
from explorer.components import two_trainings
from tests.ui.helpers import PAPER, ROOT, keyed_block, markup_problems, new_app, page, texts, visible, walk

SHIPPED = ROOT / "checkpoints"
QUESTION = "greater 20 and lesser 60 count"


def _traces(left: str, right: str, sample: str, question: str) -> tuple[dict, dict]:
    columns, rows = tables.to_engine(tables.load_sample(sample))
    out = []
    for name in (left, right):
        model, vocab, _ = load_checkpoint(SHIPPED / f"{name}.safetensors")
        out.append(trace(model, vocab, columns, rows, question))
    return out[0], out[1]


def _vrects(at) -> dict[str, list[float]]:
    """Each heatmap's outlined step positions (x0 of its vertical rectangles), by chart key."""
    out = {}
    for node in walk(at._tree):
        if getattr(node, "type", None) == "plotly_chart":
            spec = json.loads(node.proto.spec)
            out[node.proto.id] = [s["x0"] for s in spec["layout"].get("shapes", []) if s.get("type") == "rect"]
    return out


def test_the_first_step_where_the_shipped_pair_parts_is_marked(monkeypatch):
    monkeypatch.setenv("NPX_CHECKPOINT_DIRS", str(SHIPPED))
    left, right = _traces("single-column", PAPER, "letters_1", QUESTION)
    part = step_diff.first_difference(left, right)
    assert part is not None, "the lesson's two checkpoints run the same program: the lesson's text is wrong"
    at = page(new_app({"table": "letters_1", "q": QUESTION, "ckpt": "single-column", "vs": PAPER}), "compare")
    assert not at.exception, at.exception
    line = texts([n for n in walk(keyed_block(at, two_trainings.PARTING_KEY)) if getattr(n, "type", "") == "error"])
    assert line == f"**{step_diff.parting_line(part, 'single-column', PAPER)}**"
    assert f"They part at t{part.t}:" in line
    table = next(n for n in walk(keyed_block(at, two_trainings.ALIGNED_KEY)) if getattr(n, "type", "") == "markdown")
    rows = table.value.splitlines()[2:]
    assert len(rows) == max(len(left["steps"]), len(right["steps"]))
    marked = rows[part.t - 1]
    assert marked.startswith(f"| **t{part.t}** |") and "they part here" in marked and ":red-background[" in marked
    assert all("they part here" not in r for i, r in enumerate(rows) if i != part.t - 1)
    shapes = _vrects(at)
    assert len(shapes) == 6 and all(x0 == [part.t - 1.5] for x0 in shapes.values()), shapes  # t sits at t - 1
    assert markup_problems(at) == []


@pytest.fixture
def fine_tuned(app_env, ckpt_dir):
    """An app-trained copy of the test single-column model whose run says it was fine-tuned from it."""
    model, vocab, info = load_checkpoint(ckpt_dir / "single-column.safetensors")
    summary = {**info["summary"], "fine_tuned_from": "single-column", "custom_examples": 1}
    save_checkpoint(app_env / "single-column-ft-1.safetensors", model, vocab, summary)
    return "trained/single-column-ft-1"


def test_a_fine_tune_is_shown_beside_the_checkpoint_it_started_from(fine_tuned):
    at = page(new_app({"table": "letters_1", "q": "greater 20 A sum A", "ckpt": fine_tuned}), "compare")
    at.segmented_control(key=state.COMPARE_MODE_PICK).set_value("trainings").run()
    assert not at.exception, at.exception
    assert at.session_state[state.VERSUS] == "single-column"
    assert "fine-tuned from single-column" in texts(at.caption)
    assert "before and after a fine-tuning run" in texts(at.caption)
    table = next(n for n in walk(keyed_block(at, two_trainings.ALIGNED_KEY)) if getattr(n, "type", "") == "markdown")
    header = visible(table.value.splitlines()[0])
    assert f"{fine_tuned} (after)" in header and "single-column (before)" in header
    same = texts([n for n in walk(keyed_block(at, two_trainings.PARTING_KEY)) if getattr(n, "type", "") == "success"])
    assert "run the same program" in same  # the copy has the same weights: nothing parts
    assert _vrects(at) and not any(_vrects(at).values())
    # the default follows the left checkpoint; a person's pick stays
    at.selectbox(key=state.CKPT_PICK).set_value("single-column").run()
    assert at.session_state[state.VERSUS] != "single-column" and not at.exception
    at.selectbox(key=state.VERSUS_PICK).set_value("names-5").run()
    at.selectbox(key=state.CKPT_PICK).set_value(fine_tuned).run()
    assert at.session_state[state.VERSUS] == "names-5"


def test_hostile_column_names_in_the_aligned_program_are_text():
    from tests.ui.test_hostile_input import hostile_link

    at = page(new_app({**hostile_link(), "vs": "names-5"}), "compare")
    assert not at.exception, at.exception
    table = next(n for n in walk(keyed_block(at, two_trainings.ALIGNED_KEY)) if getattr(n, "type", "") == "markdown")
    assert "| step |" in table.value and escape.WORD_JOINER not in visible(table.value)
    assert markup_problems(at) == []
