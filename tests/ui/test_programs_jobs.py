"""AppTest: the Programs page evaluates in a background job — the same figures as before, nothing large in the
session, a paged example picker whose examples open in Ask and Step through (their tables made again), a clear
message when the server's one evaluation slot is taken, Stop, and a result the server has let go."""

from __future__ import annotations

import pickle

import pytest

from engine.np2016.checkpoint import load_checkpoint
from engine.np2016.data import tasks as data
from explorer import evaluation_result, evaluations, jobs, programs, state
from explorer.components import programs_view
from tests.ui.helpers import new_app, page, texts, visible
from tests.ui.programs_helpers import WAIT_SECONDS, evaluate, evaluation_of, hold_evaluations

SESSION_VALUE_MAX_BYTES = 20_000  # any one value in the session, pickled (a 23-example result's tables: 300 KB)


@pytest.fixture
def gate(clean_training_registry, monkeypatch):
    held = hold_evaluations(monkeypatch)
    yield held
    held.set()  # before clean_training_registry waits for the jobs


def test_the_page_shows_the_same_figures_and_keeps_nothing_large_in_the_session(clean_training_registry,
                                                                                ckpt_dir):
    at = page(new_app(), "programs")
    job = evaluate(at, "single-column", 23)
    assert not at.exception, at.exception
    model, vocab, _ = load_checkpoint(ckpt_dir / "single-column.safetensors")
    examples = data.generate("single-column", "test", 23, 7)
    summary = programs.summarise(examples, programs.induced_programs(model, vocab, examples))
    assert job.result.summary == summary  # the heading and the templates: tests/ui/test_programs_page.py
    metrics = {visible(m.label): m.value for m in at.metric}
    assert metrics["Right answers"] == f"{summary['correct']} of {summary['total']}"
    assert len(at.get("plotly_chart")) == 1
    for key, value in at.session_state.to_dict().items():
        try:
            size = len(pickle.dumps(value))
        except (pickle.PicklingError, TypeError, AttributeError):
            continue
        assert size < SESSION_VALUE_MAX_BYTES, (key, size)


def test_the_picker_pages_through_examples_and_opens_them_made_again(clean_training_registry):
    n = 120  # three pages of examples
    at = page(new_app(), "programs")
    job = evaluate(at, "single-column", n)
    assert not at.exception, at.exception
    pages = at.selectbox(key=state.PROG_EXAMPLES_PAGE)
    assert pages.options == [programs_view.page_label(p, n) for p in range(3)]
    pages.set_value(2).run()
    assert at.selectbox(key=state.PROG_EXAMPLE).options[0].startswith(("✓", "✗")) and \
        len(at.selectbox(key=state.PROG_EXAMPLE).options) == n - 2 * evaluation_result.PAGE_SIZE
    at.selectbox(key=state.PROG_EXAMPLE).set_value(111).run()
    at.button(key="open_step").click().run()
    assert not at.exception, at.exception
    wanted = data.generate("single-column", "test", n, 7)[111]
    assert at.session_state[state.QUESTION] == wanted["question"]
    assert at.session_state[state.TABLE].shape == (len(wanted["rows"]), len(wanted["columns"]))
    assert at.session_state[state.CKPT] == "single-column"
    assert sorted(job.result.page) == list(range(100, n))  # the page opened is kept, the first one let go
    at = page(at, "programs")
    at.selectbox(key=state.PROG_EXAMPLES_PAGE).set_value(0).run()
    at.selectbox(key=state.PROG_EXAMPLE).set_value(3).run()
    at.button(key="open_ask").click().run()
    assert not at.exception, at.exception
    assert at.session_state[state.QUESTION] == data.generate("single-column", "test", n, 7)[3]["question"]


def test_a_start_beyond_the_servers_evaluations_is_refused_with_a_message(gate, ckpt_dir):
    model, vocab, _ = load_checkpoint(ckpt_dir / "single-column.safetensors")
    evaluations.start(jobs.new_owner(), "single-column", model, vocab, "single-column", 23, 7)  # another browser
    at = page(new_app(), "programs")
    at.button(key="prog_run").click().run()
    assert not at.exception, at.exception
    assert evaluation_of(at) is None
    message = texts(at.error)
    assert "was not started" in message and "the limit is 1" in message


def test_a_running_evaluation_shows_its_progress_and_stops(gate):
    at = page(new_app(), "programs")
    at.selectbox(key=state.PROG_CKPT).set_value("single-column").run()
    at.button(key="prog_run").click().run()
    assert not at.exception, at.exception
    job = evaluation_of(at)
    assert job is not None and job.running
    assert at.button(key="prog_run").disabled and not at.button(key="prog_stop").disabled
    assert at.get("progress")
    at.button(key="prog_stop").click().run()
    gate.set()
    job.wait(WAIT_SECONDS)
    at.run()
    assert not job.running and job.result is None
    assert "stopped (you stopped it)" in texts(at.warning)


def test_a_result_the_server_let_go_says_so(clean_training_registry):
    at = page(new_app(), "programs")
    evaluate(at, "single-column", 23)
    jobs.forget_all()  # as the reaper does once the browser has been away for the owner timeout
    at.run()
    assert not at.exception, at.exception
    assert "no longer kept" in texts(at.info) and not at.metric
