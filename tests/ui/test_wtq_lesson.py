"""AppTest: lesson 8, "Plain English on real tables" (explorer/lesson_real_tables.py) on the About page: it renders,
"Ask the 2017 model" shows the shipped checkpoint's own answer and program (compared with the engine's trace
computed here) beside the paper's, its verdict follows the benchmark's rules, and "Open in Ask" loads the
table and question on the Ask page."""

from __future__ import annotations

import pytest

from engine.wtq2017.dataset.evaluator import denotation_match
from explorer import lesson_real_tables, state, tables
from explorer.real_table_samples import LESSON_QUESTIONS
from tests.ui.helpers import keyed_block, markup_problems, new_app, page, texts, visible, walk
from tests.ui.wtq_helpers import SHIPPED_WTQ, engine_trace


@pytest.fixture
def shipped_model(monkeypatch):
    monkeypatch.setenv("NPX_WTQ_CHECKPOINT", str(SHIPPED_WTQ))


def _answer_text(at) -> str:
    block = keyed_block(at, lesson_real_tables.ANSWER_BOX)
    return "\n".join(visible(n.value) for n in walk(block) if getattr(n, "type", None) == "markdown")


def test_the_lesson_renders_with_both_accuracies(shipped_model):
    at = page(new_app(), "about")
    assert not at.exception, at.exception
    shown = texts(at.markdown)
    assert lesson_real_tables.TITLE in shown and "34.2%" in shown and "37.7%" in shown
    from explorer import real_tables
    summary = real_tables.info()["summary"]
    assert f"{summary['dev_accuracy']:.1%}" in shown and summary["preset"] in shown
    assert "random-split-1-dev" in shown and "chose the checkpoint" in shown
    assert markup_problems(at) == []


@pytest.mark.parametrize("index", range(len(LESSON_QUESTIONS)))
def test_asking_shows_the_models_program_beside_the_papers(shipped_model, index):
    lesson = LESSON_QUESTIONS[index]
    at = page(new_app(), "about")
    at.selectbox(key=state.WTQ_LESSON_PICK).set_value(index).run()
    assert "CC BY-SA 4.0" in texts(at.caption)
    at.button(key=lesson_real_tables.ASK_KEY).click().run()
    assert not at.exception, at.exception
    want = engine_trace(tables.load_sample(lesson.sample), lesson.question)
    shown = _answer_text(at)
    assert all(w in shown for w in want["program_text"])
    assert all(step in shown for step in lesson.paper_program if step != "-")
    right = denotation_match(want["extra"]["denotation"], list(lesson.answer))
    assert (":green[right]" in shown) == right and (":red[wrong]" in shown) == (not right)
    assert markup_problems(at) == []


def test_another_question_hides_the_last_answer(shipped_model):
    at = page(new_app(), "about")
    at.button(key=lesson_real_tables.ASK_KEY).click().run()
    keyed_block(at, lesson_real_tables.ANSWER_BOX)
    at.selectbox(key=state.WTQ_LESSON_PICK).set_value(1).run()
    with pytest.raises(AssertionError, match="no container"):
        keyed_block(at, lesson_real_tables.ANSWER_BOX)


def test_open_in_ask_loads_the_table_and_question(shipped_model):
    lesson = LESSON_QUESTIONS[2]
    at = page(new_app(), "about")
    at.selectbox(key=state.WTQ_LESSON_PICK).set_value(2).run()
    at.button(key=lesson_real_tables.OPEN_KEY).click().run()
    assert not at.exception, at.exception
    assert at.session_state[state.QUESTION] == lesson.question
    assert at.session_state[state.TABLE_SOURCE]["id"] == lesson.sample
    assert at.session_state[state.TABLE].equals(tables.load_sample(lesson.sample))
    assert "Ask" in texts(at.title)


def test_without_the_checkpoint_the_lesson_says_what_it_needs():
    at = page(new_app(), "about")  # the UI tests' default: no 2017 checkpoint
    assert not at.exception, at.exception
    assert "needs the 2017 checkpoint" in texts(at.info) and "NPX_WTQ_CHECKPOINT" in texts(at.info)
    assert lesson_real_tables.ASK_KEY not in [b.key for b in at.button]
