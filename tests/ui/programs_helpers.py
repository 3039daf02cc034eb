"""Helpers of the Programs page tests: an evaluation started from the page and waited for, and a gate that
holds evaluations in their first batch (so a test can look at one while it runs)."""

from __future__ import annotations

import threading

from streamlit.testing.v1 import AppTest

from explorer import evaluations, programs, state

WAIT_SECONDS = 180  # a loaded 2-core machine: the tests wait only as long as the job runs


def evaluation_of(at: AppTest) -> evaluations.Evaluation | None:
    """The evaluation of the AppTest's browser (its run token), if the server has it."""
    return evaluations.mine(at.session_state[state.RUN_OWNER]) if state.RUN_OWNER in at.session_state else None


def evaluate(at: AppTest, ckpt: str, n: int, task: str | None = None) -> evaluations.Evaluation:
    """Press Evaluate for `n` questions (of `task`, else the checkpoint's own), wait for the background job,
    and run the page again, as its polling fragment does once the job has ended."""
    at.selectbox(key=state.PROG_CKPT).set_value(ckpt).run()
    if task is not None:
        at.selectbox(key=state.PROG_TASK).set_value(task).run()
    at.number_input(key=state.PROG_N).set_value(n).run()
    at.button(key="prog_run").click().run()
    job = evaluation_of(at)
    assert job is not None, [e.value for e in at.error]
    job.wait(WAIT_SECONDS)
    assert not job.running and job.error is None, job.error
    at.run()
    return job


def hold_evaluations(monkeypatch) -> threading.Event:
    """Every evaluation waits in its first batch until the returned event is set."""
    gate = threading.Event()
    real = programs.induced_programs

    def held(*args, **kwargs):
        gate.wait(WAIT_SECONDS)
        return real(*args, **kwargs)

    monkeypatch.setattr(programs, "induced_programs", held)
    return gate
