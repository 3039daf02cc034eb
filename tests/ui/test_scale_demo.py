"""AppTest: the Compare page's scale demo with the shipped checkpoints and baselines, lesson 7 that opens it, and
the About page's lesson buttons (never squeezed into a narrow column, where their labels were cut).

Every expected answer is computed here from the engine (the baselines' own checkpoints, the Neural Programmer's
trace and the simplified task's interpreter), then compared with what the page shows.
"""

from __future__ import annotations

import pytest

from engine.baselines import load_baseline
from engine.baselines import task as baseline_task
from engine.np2016.checkpoint import load_checkpoint
from engine.np2016.trace import fmt, trace
from explorer import baselines, state, tables
from explorer.components import scale_demo
from explorer.pages.about import LESSONS, button_label
from tests.ui.helpers import ROOT, new_app, page, texts, walk

SHIPPED = ROOT / "checkpoints"
DEMO = next(i for i, lesson in enumerate(LESSONS) if lesson.get("demo"))


@pytest.fixture
def shipped(monkeypatch):
    monkeypatch.setenv("NPX_CHECKPOINT_DIRS", str(SHIPPED))
    monkeypatch.setenv("NPX_BASELINE_DIR", str(SHIPPED / "baselines"))


def _expected(question: str, seed: int | None = None) -> list[dict]:
    """Per scale: the right answer and each model's answer, from the engine directly."""
    if seed is None:
        columns, rows = tables.to_engine(tables.load_sample(baselines.DEMO_SAMPLE))
    else:
        example = baseline_task.generate(1, seed=seed)[0]
        columns, rows = example["columns"], example["rows"]
    model, vocab, _ = load_checkpoint(SHIPPED / "single-column.safetensors")  # the best match for one column
    lstms = {p.stem: load_baseline(p) for p in sorted((SHIPPED / "baselines").glob("*.safetensors"))}
    out = []
    for k in baselines.DEMO_SCALES:
        r, q = baselines.scale_rows(rows, k), baselines.scale_question(question, k)
        values = [int(x[0]) for x in r]
        got = {scale_demo.NP: trace(model, vocab, columns, r, q)["answer"]["scalar"]}
        got |= {name: m.answer(columns, r, q) for name, m in lstms.items()}
        out.append({"question": q, "right": float(baseline_task.answer(values, q)), "got": got})
    return out


def _same(shown, expected: list[dict]) -> None:
    """The demo's table shows exactly the answers computed here."""
    assert len(shown) == len(baselines.DEMO_SCALES) == len(expected)
    for (_, line), want in zip(shown.iterrows(), expected, strict=True):
        assert line["question"] == want["question"] and line["right answer"] == fmt(want["right"])
        for name, value in want["got"].items():
            ok = value is not None and abs(value - want["right"]) < 0.05
            assert line[name] == ("no answer" if value is None else f"{fmt(value)} {'✓' if ok else '✗'}"), \
                (name, line[name], value)


def test_the_demo_shows_live_answers_and_the_baselines_collapse(shipped):
    at = page(new_app(), "compare")
    at.button(key="scale_demo_run").click().run()
    assert not at.exception, at.exception
    question = at.selectbox(key=scale_demo.QUESTION_PICK).value
    expected = _expected(question)
    _same(at.table[0].value, expected)
    largest = expected[-1]
    assert abs(largest["got"][scale_demo.NP] - largest["right"]) < 0.05, "the Neural Programmer is wrong at scale"
    wrong = [n for n, v in largest["got"].items() if n != scale_demo.NP and (v is None or v != largest["right"])]
    assert len(wrong) == len(largest["got"]) - 1, largest  # every baseline is wrong at the largest scale
    assert "The Neural Programmer is right at every scale" in texts(at.markdown)
    # the figures quoted beside it say where they come from
    command = baselines.measured_accuracy()["command"]
    assert f"`{command}`" in "\n".join(c.value for c in at.caption)  # as typed: no escapes inside the code span
    assert "docs/baselines.json" in texts(at.caption)
    # another question is asked live too
    at.selectbox(key=scale_demo.QUESTION_PICK).set_value(baselines.DEMO_QUESTIONS[2]).run()
    assert at.table[0].value["question"].iloc[-1] == _expected(baselines.DEMO_QUESTIONS[2])[-1]["question"]


def test_the_demo_runs_on_a_random_table_of_the_baselines_task(shipped):
    at = page(new_app(), "compare")
    at.button(key="scale_demo_run").click().run()
    at.segmented_control(key=scale_demo.TABLE_PICK).set_value(scale_demo.RANDOM).run()
    at.number_input(key=scale_demo.SEED_PICK).set_value(7).run()
    assert not at.exception, at.exception
    _same(at.table[0].value, _expected(at.selectbox(key=scale_demo.QUESTION_PICK).value, seed=7))
    assert "drawn with seed 7" in texts(at.caption)


def test_the_demo_without_baselines_says_what_it_needs():
    at = page(new_app(), "compare")
    at.button(key="scale_demo_run").click().run()
    assert not at.exception
    assert "needs the baselines' checkpoints" in texts(at.info) and not at.table


def test_lesson_7_opens_the_demo_on_the_compare_page(shipped):
    at = page(new_app(), "about")
    lesson = LESSONS[DEMO]
    command = baselines.measured_accuracy()["command"]
    assert f"(`{command}`, docs/baselines.json)" in "\n".join(m.value for m in at.markdown)  # figures quoted
    at.button(key=f"lesson_{DEMO}").click().run()
    assert not at.exception, at.exception
    assert at.title[0].value == "Compare" and at.session_state[state.VERSUS] is None
    assert at.session_state[scale_demo.DEMO_OPEN] is True
    assert at.selectbox(key=scale_demo.QUESTION_PICK).value == lesson["question"]
    assert at.session_state[state.TABLE_SOURCE]["id"] == baselines.DEMO_SAMPLE
    assert len(at.table) == 1


def _ancestor_types(root, key: str) -> list[str] | None:
    """The block types above the widget whose id ends with `key` (None when it is not on the page)."""
    def down(node, path):
        if str(getattr(getattr(node, "proto", None), "id", "")).endswith(f"-{key}"):
            return path
        for child in getattr(node, "children", {}).values():
            found = down(child, [*path, getattr(node, "type", "")])
            if found is not None:
                return found
        return None

    return down(root, [])


def test_lesson_buttons_have_the_cards_width_and_short_labels():
    """The buttons sat in a fifth of the card and their labels were cut; now each sits under its text."""
    at = page(new_app(), "about")
    for i, lesson in enumerate(LESSONS):
        path = _ancestor_types(at._tree, f"lesson_{i}")
        assert path is not None, i
        assert "column" not in path and "horizontal" not in path, (i, path)
        assert at.button(key=f"lesson_{i}").proto.label == button_label(lesson)
        assert len(button_label(lesson)) <= 32, button_label(lesson)
    assert any(n for n in walk(at._tree))  # the page drew
