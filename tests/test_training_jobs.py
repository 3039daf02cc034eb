"""Training jobs belong to the server (explorer/training.py): the cap holds under simultaneous starts, a job
whose owner is gone is stopped, run names never collide, and a reloaded page finds its job and stops it."""

from __future__ import annotations

import threading
import time

import pytest
import torch

from engine.np2016.config import TrainConfig
from explorer import jobs, training

TINY = {"d": 8, "T": 2}
# a run that goes on until it is stopped, each step a few milliseconds
ENDLESS = TrainConfig(task="single-column", steps=1_000_000, batch_size=5, train_size=50, eval_size=10, test_size=10,
                      eval_every=1_000_000, threads=1, search_samples=2)
SHORT = TrainConfig(task="single-column", steps=3, batch_size=5, train_size=50, eval_size=10, test_size=10,
                    eval_every=3, threads=1, search_samples=2)


@pytest.fixture(scope="module", autouse=True)
def warm_torch():
    """The first optimiser of a process imports torch._dynamo (seconds on a busy machine): do it once here,
    so that the timings below measure the jobs, not that import."""
    torch.optim.Adam([torch.zeros(1, requires_grad=True)])


pytestmark = pytest.mark.usefixtures("clean_training_registry")  # tests/conftest.py


def _wait(condition, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return condition()


def test_ten_simultaneous_starts_respect_the_cap(tmp_path):
    """Before: the cap was checked and the job registered under two lock acquisitions: 6 starts, 6 jobs."""
    owners = [training.new_owner() for _ in range(10)]
    barrier = threading.Barrier(len(owners))
    started, refused = [], []

    def go(owner):
        barrier.wait()
        try:
            started.append(training.start(owner, ENDLESS, tmp_path, model_settings=TINY))
        except training.JobRefused as e:
            refused.append(str(e))

    threads = [threading.Thread(target=go, args=(o,)) for o in owners]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert len(started) == training.MAX_ACTIVE_JOBS
    assert len(refused) == len(owners) - training.MAX_ACTIVE_JOBS
    assert all(f"the limit is {training.MAX_ACTIVE_JOBS}" in msg for msg in refused)
    assert training.running_count() == training.MAX_ACTIVE_JOBS


def test_one_owner_cannot_hold_two_runs(tmp_path):
    owner = training.new_owner()
    training.start(owner, ENDLESS, tmp_path, model_settings=TINY)
    with pytest.raises(training.JobRefused, match="still going"):
        training.start(owner, ENDLESS, tmp_path, model_settings=TINY)


def test_a_job_whose_owner_is_gone_is_stopped(tmp_path, monkeypatch):
    """Before: a job ran on after its page was closed, and two orphans locked everyone out of training."""
    monkeypatch.setenv(jobs.OWNER_TIMEOUT_ENV, "0.6")
    owner = training.new_owner()
    job = training.start(owner, ENDLESS, tmp_path, model_settings=TINY)
    for _ in range(10):  # the owner's page is open: it touches the job (more than a timeout in all)
        time.sleep(0.1)
        assert training.touch(owner) is job
    # training, not setting up (the worker process starting, the data generated)
    assert _wait(lambda: training.touch(owner) and job.progress.step > 0, 60)
    assert job.running
    left = time.monotonic()
    assert _wait(job.stop.is_set, 5), "the orphaned job was not told to stop"
    assert time.monotonic() - left < 0.6 + 0.5  # the timeout and a reaper tick (a quarter of it)
    assert _wait(lambda: not job.running, 30), "the orphaned job is still running"  # its last step, saving
    assert "page was closed" in job.stop_reason and job.summary["stopped"]
    assert _wait(lambda: training.find(owner) is None, 5)  # then the finished job is forgotten


def test_two_runs_in_the_same_second_get_their_own_files(tmp_path, monkeypatch):
    """Before: names had one-second resolution, so two runs wrote one file and both were told it was saved."""
    monkeypatch.setattr(training.time, "time", lambda: 1_700_000_000.25)  # the very same instant
    jobs = [training.start(training.new_owner(), SHORT, tmp_path, model_settings=TINY) for _ in range(2)]
    for job in jobs:
        job.thread.join(timeout=60)
    paths = [job.saved_path for job in jobs]
    assert None not in paths and paths[0] != paths[1], [job.error for job in jobs]
    assert all(p.is_file() and p.stat().st_size > 0 for p in paths)
    assert sorted(tmp_path.iterdir()) == sorted(paths)  # no temp or claim file left behind


def test_a_taken_name_is_never_reused(tmp_path):
    first = training.claim_path(tmp_path, "run")
    second = training.claim_path(tmp_path, "run")
    assert first != second and first.exists() and second.exists()


def test_a_reloaded_page_finds_its_job_and_stops_it(tmp_path):
    owner = training.new_owner()
    job = training.start(owner, ENDLESS, tmp_path, model_settings=TINY)
    # the reload: a new session knows only the token (from the URL's `run` parameter)
    assert training.find(owner) is job and training.touch(owner) is job
    assert training.find(training.new_owner()) is None and training.find("not-a-token") is None
    assert training.stop(owner)
    job.thread.join(timeout=60)
    assert not job.running and job.stop_reason == "you stopped it" and job.summary["stopped"]
    assert not training.stop(owner)  # nothing left to stop


def test_custom_sets_are_checked_line_by_line():
    good = b'{"columns": ["A"], "rows": [[1], [2]], "question": "sum A", "answer": {"scalar": 3}}\n'
    assert training.read_custom_set(good)[0]["answer"] == {"scalar": 3}
    for bad in (b'{"columns": ["A"], "rows": [[1]], "question": "q", "answer": {"scalar": NaN}}',
                b'{"columns": ["A"], "rows": [[1]], "question": "q", "answer": {"scalar": "3"}}',
                b'{"columns": ["A"], "rows": [[1]], "question": "q", "answer": {"cells": [[0]]}}',
                b'{"columns": ["A"], "rows": [[{"x": 1}]], "question": "q", "answer": {"scalar": 1}}'):
        with pytest.raises(ValueError, match="line 1"):
            training.read_custom_set(bad)


def test_the_train_page_of_a_reloaded_session_shows_its_run_and_stops_it(tmp_path, monkeypatch):
    """AppTest: a new session opened with `?run=<token>` (a reload, or the link) sees the run and its Stop
    button stops it. Before: the job lived in the old session's state, out of reach of the new one."""
    from tests.ui.helpers import new_app, page, texts

    runs = tmp_path / "runs"
    monkeypatch.setenv("NPX_RUNS_DIR", str(runs))
    monkeypatch.setenv("NPX_CHECKPOINT_DIRS", str(tmp_path / "no-checkpoints"))
    monkeypatch.setenv("NPX_BASELINE_DIR", str(tmp_path / "no-baselines"))
    owner = training.new_owner()
    job = training.start(owner, ENDLESS, runs, model_settings=TINY)
    at = page(new_app({"run": owner}), "train")
    assert not at.exception, at.exception
    assert job.name in texts(at.markdown)
    assert not at.button(key="train_stop").disabled and at.button(key="train_start").disabled
    at.button(key="train_stop").click().run()
    job.thread.join(timeout=60)
    assert not job.running and job.stop_reason == "you stopped it"
    at.run()
    assert not at.exception, at.exception
    assert at.query_params["run"] == owner  # the URL keeps the token
    # another browser, without the token, sees no run and cannot stop this one
    other = page(new_app(), "train")
    assert job.name not in texts(other.markdown) and other.button(key="train_stop").disabled


def test_the_probe_model_leaves_the_global_generator_alone(tmp_path):
    """The probe view rebuilt its model with a random initialisation, drawing from the global torch
    generator that a training thread draws its gradient noise from (issue 11)."""
    job = training.start(training.new_owner(), SHORT, tmp_path, model_settings=TINY)
    job.thread.join(timeout=60)
    before = torch.get_rng_state()
    step, model = job.probe_model()
    assert torch.equal(before, torch.get_rng_state())
    assert step >= 1 and all(torch.equal(a, b) for a, b in zip(model.state_dict().values(),
                                                                 job.progress.probe_state[1].values(), strict=True))


def test_a_nan_answer_that_slips_past_the_reader_saves_no_checkpoint(tmp_path):
    """Before: a custom set with a NaN answer trained 'fine' and saved a checkpoint every session lists."""
    from tests.ui.helpers import make_letters_model

    base = make_letters_model(tmp_path / "base.safetensors")
    bad = {"columns": ["A"], "rows": [[1.0], [2.0]], "question": "sum A", "answer": {"scalar": float("nan")},
           "template": "custom", "program": "custom"}
    cfg = TrainConfig(task="single-column", steps=5, eval_every=5, threads=1, search_samples=2)
    job = training.start(training.new_owner(), cfg, tmp_path / "runs", base=str(base), custom=[bad])
    job.thread.join(timeout=60)
    runs = tmp_path / "runs"
    assert job.saved_path is None and (not runs.exists() or not any(runs.iterdir()))
    assert "the loss became nan" in job.summary["error"] and job.progress.error == job.summary["error"]


def test_a_run_over_the_memory_budget_is_refused_before_it_starts(tmp_path):
    """Before: text-5 with 50,000 examples, d = 256 and batch 500 started and took 2.5 GB (two such runs: 5 GB)."""
    largest = TrainConfig(task="text-5", train_size=50_000, eval_size=5_000, test_size=5_000, batch_size=500,
                          threads=1)
    with pytest.raises(training.JobRefused, match="MB of memory"):
        training.start(training.new_owner(), largest, tmp_path, model_settings={"d": 256})
    assert training.running_count() == 0 and not list(tmp_path.iterdir())
