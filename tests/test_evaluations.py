"""The Programs page's evaluations as server jobs (explorer/evaluations.py): a compact result with at most one
page of tables, examples made again exactly, one evaluation at a time, stopped and forgotten once its owner is
gone, run at the jobs' niceness."""

from __future__ import annotations

import os
import pickle
import time

import pytest
import torch

from engine.core.vocab import Vocab
from engine.np2016 import presets
from engine.np2016.data import tasks as data
from engine.np2016.model import NeuralProgrammer
from explorer import evaluation_result, evaluations, jobs, programs
from explorer.evaluation_result import PAGE_SIZE
from tests.ui.programs_helpers import WAIT_SECONDS, hold_evaluations


def tiny_model(task: str):
    vocab = Vocab(data.vocabulary(task))
    config = presets.model_config("default", task, len(vocab), d=16, T=1)
    torch.manual_seed(0)  # the same weights every time: the old way and the job must agree
    return NeuralProgrammer(config).eval(), vocab


def run(task: str, n: int, seed: int = 7, owner: str | None = None) -> evaluations.Evaluation:
    model, vocab = tiny_model(task)
    job = evaluations.start(owner or jobs.new_owner(), task, model, vocab, task, n, seed)
    job.wait(WAIT_SECONDS)
    assert not job.running and job.error is None, job.error
    return job


def with_rows(obj) -> int:
    """How many dicts holding a table ('rows') `obj` holds, however deep."""
    if isinstance(obj, dict):
        return ("rows" in obj) + sum(with_rows(v) for v in obj.values())
    if isinstance(obj, list | tuple):
        return sum(with_rows(v) for v in obj)
    if hasattr(obj, "__dict__"):
        return with_rows(vars(obj))
    return 0


@pytest.fixture
def gate(clean_training_registry, monkeypatch):
    held = hold_evaluations(monkeypatch)
    yield held
    held.set()  # before clean_training_registry waits for the jobs


def test_the_kept_result_holds_one_page_of_tables_and_is_small(clean_training_registry):
    n = 600
    job = run("columns-10", n)
    result = job.result
    assert with_rows(result) == result.tables_kept() == 0 and len(result.records) == n  # tables: when opened
    assert job.model is None and job.vocab is None  # the job lets go of the model too
    model, vocab = tiny_model("columns-10")
    examples = data.generate("columns-10", "test", n, 7)
    found = programs.induced_programs(model, vocab, examples)
    before = {"examples": examples, "results": found, "summary": programs.summarise(examples, found)}
    assert result.summary == before["summary"]  # the page's figures are the ones it showed before
    kept, was = len(pickle.dumps(result)), len(pickle.dumps(before))
    assert kept < was / 15 and kept / n < 1000, (kept, was)  # about 500 bytes an example against 12 kB
    result.example(n - 1, list(range(n - PAGE_SIZE, n)))
    assert with_rows(result) == result.tables_kept() == PAGE_SIZE  # one page of tables once one is opened


def test_an_example_is_made_again_exactly_and_replaces_the_kept_page(clean_training_registry):
    n, seed = 120, 3  # single-column has 23 templates: n > 23 draws several shuffles first, so n matters
    result = run("single-column", n, seed).result
    assert data.generate("single-column", "test", 78, seed)[77] != data.generate("single-column", "test", n, seed)[77]
    shown = list(range(60, 110))
    example = result.example(77, shown)
    assert example == data.generate("single-column", "test", n, seed)[77]
    assert sorted(result.page) == shown and with_rows(result) <= PAGE_SIZE
    assert result.example(100, shown) is result.page[100]  # on the kept page: not made again


def test_an_example_is_made_from_a_prefix_of_the_same_generation(clean_training_registry, monkeypatch):
    result = run("columns-10", 1000).result
    made = []
    real = data.generate

    def spy(*args, **kwargs):
        made.append(real(*args, **kwargs))
        return made[-1]

    monkeypatch.setattr(evaluation_result.data, "generate", spy)
    assert result.example(120, [120]) == real("columns-10", "test", 1000, 7)[120]
    assert [len(m) for m in made] == [2 * data.STOP_CHECK_EVERY]  # 200 examples made, not 1000


def test_a_second_evaluation_beyond_the_cap_is_refused(gate):
    model, vocab = tiny_model("single-column")
    first = evaluations.start(jobs.new_owner(), "a", model, vocab, "single-column", 50, 1)
    assert first.running and jobs.running_count() == 0  # not one of the training runs' two slots
    with pytest.raises(jobs.JobRefused, match="the limit is 1"):
        evaluations.start(jobs.new_owner(), "b", model, vocab, "single-column", 50, 1)
    with pytest.raises(jobs.JobRefused, match="still going"):
        evaluations.start(first.owner, "a", model, vocab, "single-column", 50, 1)
    gate.set()
    first.wait(WAIT_SECONDS)
    assert first.result is not None
    assert evaluations.start(jobs.new_owner(), "b", model, vocab, "single-column", 50, 1)  # the slot is free again


def test_out_of_bounds_settings_are_refused(clean_training_registry):
    model, vocab = tiny_model("single-column")
    for task, n in (("no-such-task", 10), ("single-column", 0), ("single-column", evaluations.MAX_EXAMPLES + 1)):
        with pytest.raises(jobs.JobRefused):
            evaluations.start(jobs.new_owner(), "a", model, vocab, task, n, 1)


def test_the_evaluation_thread_runs_at_the_jobs_niceness(gate):
    model, vocab = tiny_model("single-column")
    job = evaluations.start(jobs.new_owner(), "a", model, vocab, "single-column", 50, 1)
    deadline = time.monotonic() + WAIT_SECONDS
    while job.phase != evaluations.EVALUATING and time.monotonic() < deadline:  # held in its first batch
        time.sleep(0.01)
    assert job.running
    assert os.getpriority(os.PRIO_PROCESS, job.thread.native_id) == jobs.NICENESS


def test_an_evaluation_whose_owner_is_gone_is_stopped_and_forgotten(clean_training_registry, monkeypatch):
    monkeypatch.setenv(jobs.OWNER_TIMEOUT_ENV, "0.5")
    monkeypatch.setattr(evaluations, "BATCH_SIZE", 1)
    real = programs.induced_programs
    monkeypatch.setattr(programs, "induced_programs", lambda *a, **k: (time.sleep(0.05), real(*a, **k))[1])
    model, vocab = tiny_model("single-column")
    owner = jobs.new_owner()
    job = evaluations.start(owner, "a", model, vocab, "single-column", 400, 1)  # 20 s unless stopped
    job.wait(WAIT_SECONDS)  # nobody touches it: the reaper stops it
    assert not job.running and job.stop_reason and "closed" in job.stop_reason
    assert job.result is None and job.done < 400
    deadline = time.monotonic() + 10
    while jobs.running(evaluations.KIND) or evaluations.mine(owner) is not None:
        assert time.monotonic() < deadline, "the ended evaluation was not forgotten"
        time.sleep(0.05)


def test_an_owner_who_stays_keeps_the_result(clean_training_registry, monkeypatch):
    monkeypatch.setenv(jobs.OWNER_TIMEOUT_ENV, "0.5")
    owner = jobs.new_owner()
    job = run("single-column", 30, owner=owner)
    for _ in range(8):  # 2 s of the page's heartbeat
        jobs.touch(owner)
        time.sleep(0.25)
    assert evaluations.mine(owner) is job and job.result is not None


def test_stop_ends_the_evaluation_and_keeps_nothing(gate):
    model, vocab = tiny_model("single-column")
    job = evaluations.start(jobs.new_owner(), "a", model, vocab, "single-column", 50, 1)
    assert evaluations.stop(job.owner)
    gate.set()
    job.wait(WAIT_SECONDS)
    assert not job.running and job.result is None and job.stop_reason == "you stopped it"
    assert not evaluations.stop(job.owner)  # nothing runs any more


def test_an_examples_answer_is_shown_as_its_cells_text():
    rows = [["Alice", 3.0], ["Bob", 5.0], [None, 7.0]]
    assert evaluation_result.answer_text({"cells": [[0, 0], [1, 0]]}, rows) == "Alice, Bob"
    assert evaluation_result.answer_text({"cells": [[2, 0], [1, 1]]}, rows) == "(empty), 5"
    many = {"cells": [[r % 3, 1] for r in range(evaluation_result.SHOWN_CELLS + 2)]}
    assert evaluation_result.answer_text(many, rows).endswith(f"… ({evaluation_result.SHOWN_CELLS + 2} cells)")
    assert evaluation_result.answer_text({"scalar": 2.5}, rows) == "2.5"
    assert "{" not in evaluation_result.answer_text({"cells": [[1, 9]]}, [[0] * 10, [1] * 10])
