"""AppTest: every page renders; Step through, Train (start, stop, picker), Programs, Compare, Lessons."""

from __future__ import annotations

import time

import pytest

from explorer import state, training
from tests.ui.helpers import ask, new_app, page, texts
from tests.ui.programs_helpers import evaluate

PAGES = [p.name for p in state.PAGES]


@pytest.mark.parametrize("name", PAGES)
def test_every_page_renders_without_exception(name):
    at = page(new_app(), name)
    assert not at.exception, at.exception


@pytest.mark.parametrize("name", PAGES)
def test_no_checkpoint_at_all_is_a_message(name, monkeypatch, tmp_path):
    monkeypatch.setenv("NPX_CHECKPOINT_DIRS", str(tmp_path / "none"))
    at = page(new_app(), name)
    assert not at.exception
    if name in ("ask", "step", "compare", "programs"):
        assert "No checkpoint found" in texts(at.error)


def test_unreadable_checkpoint_is_reported(monkeypatch, tmp_path):
    (tmp_path / "broken.safetensors").write_bytes(b"not a checkpoint at all")
    monkeypatch.setenv("NPX_CHECKPOINT_DIRS", str(tmp_path))
    at = new_app({"ckpt": "broken"})
    assert not at.exception
    assert "cannot be used" in texts(at.error) or "No checkpoint" in texts(at.error)


def test_step_through_moves_one_step_at_a_time():
    at = new_app({"table": "letters_1", "q": "greater 20 A sum A"})
    at = page(at, "step")
    assert not at.exception
    assert at.session_state[state.STEP] == 1
    assert "Step t1 of 3" in texts(at.info)
    at.button(key="step_next").click().run()
    assert at.session_state[state.STEP] == 2 and "Step t2 of 3" in texts(at.info)
    at.select_slider(key="step_slider").set_value(3).run()
    assert at.session_state[state.STEP] == 3 and not at.exception
    at.button(key="step_prev").click().run()
    assert at.session_state[state.STEP] == 2
    assert len(at.dataframe) == 2  # the table before and after the step
    assert at.query_params["step"] == "2"


def _start_training(at, steps: int = 3000):
    at.number_input(key="hp_steps").set_value(steps)
    at.number_input(key="hp_eval_every").set_value(50)
    at.number_input(key="hp_train_size").set_value(200)
    at.number_input(key="hp_eval_size").set_value(20)
    at.selectbox(key="hp_model_d").set_value(16)
    return at.button(key="train_start").click().run()


def test_training_starts_stops_and_appears_in_the_picker(app_env):
    at = page(new_app(), "train")
    at.number_input(key="hp_search_samples").set_value(8)
    at.number_input(key="hp_search_memory").set_value(2)
    at = _start_training(at)
    assert not at.exception, at.exception
    job = training.find(at.session_state[state.RUN_OWNER])
    assert job.running or job.saved_path is not None
    assert at.button(key="train_start").disabled
    deadline = time.monotonic() + 60  # a run stopped before its first step saves nothing: let it take one
    while job.progress.step == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    at.button(key="train_stop").click().run()
    job.thread.join(timeout=60)
    assert not job.running
    at.run()
    assert not at.exception
    assert "saved as checkpoint" in texts(at.success), texts(at.error)
    assert job.summary["stopped"]
    assert job.summary["train_config"]["search_samples"] == 8 and job.summary["train_config"]["search_memory"] == 2
    assert (app_env / f"{job.name}.safetensors").exists()
    at.button(key="use_trained").click().run()  # from inside the polling fragment
    assert not at.exception
    assert at.session_state[state.CKPT] == f"trained/{job.name}"
    assert at.title[0].value == "Ask the Neural Programmer"
    assert any(f"·  trained/{job.name}" in o for o in at.selectbox(key="ckpt_pick").options)  # plain name · id


def test_fine_tune_on_the_custom_set():
    at = ask(new_app(), "count")
    at.radio(key="teach_kind").set_value("a number")
    at.number_input(key="teach_number").set_value(12.0)
    at.button(key="teach_add").click().run()
    at = page(at, "train")
    at.selectbox(key="train_task").set_value("custom").run()
    at.number_input(key="hp_steps").set_value(5)
    at.button(key="train_start").click().run()
    assert not at.exception, at.exception
    job = training.find(at.session_state[state.RUN_OWNER])
    job.thread.join(timeout=60)
    at.run()
    assert "saved as checkpoint" in texts(at.success), texts(at.error)
    assert job.summary["custom_examples"] == 1 and job.summary["fine_tuned_from"] == "names-5"


def test_fine_tune_without_examples_is_a_message():
    at = page(new_app(), "train")
    at.selectbox(key="train_task").set_value("custom").run()
    at.button(key="train_start").click().run()
    assert "at least one example" in texts(at.error) and not at.exception


def test_programs_evaluates_and_opens_an_example(clean_training_registry):
    at = page(new_app(), "programs")
    result = evaluate(at, "single-column", 23).result  # a background job: started, waited for, drawn
    assert not at.exception, at.exception
    assert result.summary["total"] == 23 and len(result.summary["templates"]) == 23
    assert len(at.get("plotly_chart")) == 1 and at.dataframe
    at.toggle(key="prog_errors").set_value(True).run()
    assert not at.exception
    pick = at.selectbox(key="prog_example").value
    at.button(key="open_step").click().run()
    assert not at.exception
    assert at.session_state[state.QUESTION] == result.records[pick]["question"]
    assert at.session_state[state.CKPT] == "single-column"
    assert len(at.session_state[state.TABLE]) == 120


def test_compare_without_baselines_says_so():
    at = page(new_app(), "compare")
    assert not at.exception
    assert "No baseline is available" in texts(at.info)


def test_lesson_loads_table_question_and_view():
    at = page(new_app(), "about")
    at.button(key="lesson_2").click().run()
    assert not at.exception
    assert at.session_state[state.TABLE_SOURCE]["id"] == "league"
    assert at.session_state[state.QUESTION].startswith("greater 60 points and")
    assert at.title[0].value == "Step through the program"  # the lesson's view
    assert "Step t1 of 1" in texts(at.info)  # the tiny test model has T = 1, so step 3 is clamped to 1


def test_compare_with_a_baseline_shows_both_answers(monkeypatch, tmp_path):
    from engine import baselines  # shipped: an import error here is a regression, not a reason to skip

    baselines.save_baseline(tmp_path / "seq2seq.safetensors", baselines.build("seq2seq"))
    monkeypatch.setenv("NPX_BASELINE_DIR", str(tmp_path))
    at = page(new_app({"table": "baseline_small", "q": "greater 0 A sum A"}), "compare")
    assert not at.exception, at.exception
    shown = texts(at.markdown)
    assert "LSTM baseline" in shown and "seq2seq" in shown and "Right answer" in shown
    at = page(new_app({"table": "shop_sales", "q": "sum sales"}), "compare")
    assert not at.exception
    assert "cannot read this input" in texts(at.warning)
