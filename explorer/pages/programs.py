"""Programs: evaluate a checkpoint on a generated test set and browse the programs it induces; or browse the
2017 model's programs on the WikiTableQuestions dev questions (explorer/wtq_programs_view.py).

An evaluation is a job of the server (explorer/evaluations.py): it runs in the background, one at a time on the
server, and its compact result stays on the job while this browser's pages beat. A fragment shows its progress
while it runs; another beats every few seconds while its result is shown, so the result goes when the tab does.
"""

from __future__ import annotations

import streamlit as st

from engine.np2016.checkpoint import CheckpointError
from engine.np2016.data import tasks as data
from explorer import checkpoints, escape, evaluations, jobs, programs, state, wtq_programs_view
from explorer.components import programs_view
from explorer.components.progress_panel import HEARTBEAT_SECONDS

ss = st.session_state
SYNTHETIC, REAL = "Synthetic tasks (generated test questions)", "Real tables (WikiTableQuestions dev)"
ERROR, STOP, STARTED = "prog_error", "prog_stop", "prog_started"  # why a start was refused; Stop; one was started
POLL_SECONDS = 1.0


def _entries() -> list[checkpoints.Entry]:
    return [e for e in checkpoints.list_checkpoints() if not e.error]


def _start() -> None:
    ss[ERROR] = None
    entry = checkpoints.find(_entries(), ss.get(state.PROG_CKPT))
    try:
        if entry is None:
            raise CheckpointError("it is no longer there")
        model, vocab, _ = checkpoints.load(entry)
        evaluations.start(state.run_owner(), entry.id, model, vocab, ss[state.PROG_TASK], int(ss[state.PROG_N]),
                          int(ss[state.PROG_SEED]))
    except CheckpointError as e:
        ss[ERROR] = f"This checkpoint cannot be used: {e}"
    except jobs.JobRefused as e:
        ss[ERROR] = f"The evaluation was not started: {e}."
    else:
        ss[STARTED] = True


def _stop() -> None:
    evaluations.stop(ss.get(state.RUN_OWNER))


def _settings(entries: list[checkpoints.Entry], running: bool) -> None:
    ids = [e.id for e in entries]
    if ss.get(state.PROG_CKPT) not in ids:
        ss[state.PROG_CKPT] = ss.get(state.CKPT) if ss.get(state.CKPT) in ids else ids[0]
    c1, c2, c3, c4 = st.columns([3, 2, 1, 1], vertical_alignment="bottom")
    ckpt_id = c1.selectbox("Checkpoint", ids, key=state.PROG_CKPT, disabled=running,
                           format_func=lambda i: checkpoints.find(entries, i).label)
    entry = checkpoints.find(entries, ckpt_id)
    tasks = list(data.TASKS)
    if ss.get(state.PROG_TASK_FOR) != ckpt_id:
        ss[state.PROG_TASK], ss[state.PROG_TASK_FOR] = entry.task if entry.task in tasks else tasks[0], ckpt_id
    task = c2.selectbox("Test questions of task", tasks, key=state.PROG_TASK, disabled=running)
    c3.number_input("Examples", 10, evaluations.MAX_EXAMPLES, min(programs.template_count(task), 300),
                    key=state.PROG_N, disabled=running)
    c4.number_input("Seed", 0, 10**6, 7, key=state.PROG_SEED, disabled=running)
    a, b, _ = st.columns([1, 1, 4])
    a.button("Evaluate", type="primary", key="prog_run", on_click=_start, disabled=running)
    b.button("Stop", key=STOP, on_click=_stop, disabled=not running)


def _progress_line(job: evaluations.Evaluation) -> str:
    if job.stop_requested:
        return "stopping…"
    if job.phase == evaluations.GENERATING:
        return f"generating {job.n:,} test questions…"
    return f"evaluated {job.done:,} of {job.n:,}"


@st.fragment(run_every=POLL_SECONDS)
def _poll() -> None:
    """The running evaluation's progress; each poll is the owner's heartbeat. Once it ends, the whole page
    runs again to draw the result."""
    job = jobs.touch(ss.get(state.RUN_OWNER), evaluations.KIND)
    if job is None or not job.running:
        st.rerun()
    st.progress(job.done / job.n, text=_progress_line(job))


@st.fragment(run_every=HEARTBEAT_SECONDS)
def _heartbeat() -> None:
    """While the result is shown: this browser is still here, so the server keeps the result."""
    jobs.touch(ss.get(state.RUN_OWNER))


def _no_result(job: evaluations.Evaluation | None) -> None:
    if job is not None and job.error:
        st.error(escape.md(job.error))
    elif job is not None and job.stop_reason:
        st.warning(escape.md(f"The evaluation was stopped ({job.stop_reason}) after {job.done:,} of {job.n:,} "
                             "examples; it keeps nothing. Press Evaluate to run it again."))
    elif ss.get(STARTED):
        st.info(f"The result of the last evaluation is no longer kept: the server lets it go once this browser "
                f"has not shown it for {jobs.owner_timeout():g} s. Press **Evaluate** to run it again.")
    else:
        st.info("Press **Evaluate** to run the checkpoint on the test questions.")


def render() -> None:
    entries = _entries()
    if not entries:
        st.error("No checkpoint found: put one in `checkpoints/` or train one on the Train page.")
        return
    job = jobs.touch(ss.get(state.RUN_OWNER), evaluations.KIND)  # a page run: the owner is here
    running = job is not None and job.running
    _settings(entries, running)
    if ss.get(ERROR):
        st.error(escape.md(ss[ERROR]))
    if running:
        _poll()
    elif job is None or job.result is None:
        _no_result(job)
    else:
        _heartbeat()
        programs_view.draw(job.result)


st.title("Induced programs")
state.show_flash()
if st.radio("Questions", (SYNTHETIC, REAL), key="prog_view", horizontal=True) == REAL:
    wtq_programs_view.render()
    st.stop()
st.caption(
    "Evaluate a checkpoint on freshly generated test questions, then see which program it induces "
    "for each question template, how often, and how often it is right."
)
render()
