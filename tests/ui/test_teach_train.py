"""AppTest: Teach fine-tunes the checkpoint that answered (issue 11). The Train page's base checkpoint follows
the Ask page's answering checkpoint even when that one is not the first in the list, and a finished
fine-tuning shows its taught-examples score and its fresh-test score, each with the value before."""

from __future__ import annotations

from explorer import state, training
from explorer.components import teach
from tests.ui.helpers import ask, new_app, page, texts, visible

ANSWERING = "single-column"  # the second checkpoint of the test directory (names-5 comes first)


def _teach(at, checkpoint: str):
    at.session_state[state.CKPT] = checkpoint
    at = ask(at, "count")
    at.radio(key="teach_kind").set_value("a number")
    at.number_input(key="teach_number").set_value(12.0)
    return at.button(key="teach_add").click().run()


def test_the_train_page_fine_tunes_the_checkpoint_that_answered():
    at = _teach(new_app(), ANSWERING)
    assert not at.exception, at.exception
    assert at.session_state[teach.TAUGHT_BY]["id"] == ANSWERING
    at = page(at, "train")
    at.selectbox(key=state.TRAIN_TASK).set_value("custom").run()
    assert not at.exception, at.exception
    base = at.selectbox(key=state.TRAIN_BASE)
    assert base.options[0] != base.value  # not merely the first in the list
    assert at.session_state[state.TRAIN_BASE] == ANSWERING


def test_a_new_teaching_moves_the_base_and_a_users_pick_otherwise_stays():
    at = _teach(new_app(), ANSWERING)
    at = page(at, "train")
    at.selectbox(key=state.TRAIN_TASK).set_value("custom").run()
    at.selectbox(key=state.TRAIN_BASE).set_value("names-5").run()
    at.run()
    assert at.session_state[state.TRAIN_BASE] == "names-5"  # the user's own choice is kept on later runs
    at = _teach(page(at, "ask"), ANSWERING)  # taught again with the other checkpoint: it becomes the base again
    at = page(at, "train")
    at.selectbox(key=state.TRAIN_TASK).set_value("custom").run()
    assert at.session_state[state.TRAIN_BASE] == ANSWERING


def test_the_teach_button_opens_the_train_page_on_the_custom_set():
    at = _teach(new_app(), ANSWERING)
    at.button(key=teach.GO_TRAIN).click().run()
    assert not at.exception, at.exception
    assert at.title[0].value == "Train a Neural Programmer"
    assert at.selectbox(key=state.TRAIN_TASK).value == "custom"
    assert at.selectbox(key=state.TRAIN_BASE).value == ANSWERING


def test_a_finished_fine_tuning_shows_taught_and_fresh_scores_before_and_after():
    at = _teach(new_app(), ANSWERING)
    at = page(at, "train")
    at.selectbox(key=state.TRAIN_TASK).set_value("custom").run()
    at.number_input(key="hp_steps").set_value(3)
    at.number_input(key="hp_test_size").set_value(20)
    at.button(key="train_start").click().run()
    assert not at.exception, at.exception
    job = training.find(at.session_state[state.RUN_OWNER])
    job.thread.join(timeout=120)
    at.run()
    assert job.summary["fine_tuned_from"] == ANSWERING
    labels = [visible(m.label) for m in at.metric]
    assert "Taught examples answered right" in labels and "Fresh single-column test questions" in labels
    fresh = job.summary["fresh_test"]
    assert fresh["n"] == 20 and fresh["before"] is not None and fresh["accuracy"] is not None
    shown = texts(at.caption)
    assert f"Taught examples: {job.summary['taught']['correct']}/1 (before: " in shown
    assert f"fresh single-column test questions: {fresh['accuracy']:.0%} of 20 (before: {fresh['before']:.0%})" \
        in shown
    # one click puts the fine-tuned checkpoint beside the one it came from, step by step
    at = at.button(key="compare_tuned").click().run()
    assert not at.exception, at.exception
    assert at.session_state[state.CKPT] == f"trained/{job.name}"
    assert at.session_state[state.VERSUS] == ANSWERING
    assert "before and after a fine-tuning run" in texts(at.caption)
