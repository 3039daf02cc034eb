"""Programs: evaluate a checkpoint and browse the programs it induces: the 2016 model on a generated test set (a
server job, explorer/evaluations.py, kept while this browser's pages beat) or the 2017 model on the WikiTableQuestions
dev questions (explorer/dev_questions.py, cached); either result drawn by explorer/components/programs_view.py."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from engine.core.io.csv_table import InputError
from engine.families import NP2016, WTQ2017
from engine.np2016.checkpoint import CheckpointError
from engine.np2016.data import tasks as data
from explorer import checkpoints, dev_questions, escape, evaluations, jobs, programs, real_tables, state
from explorer.components import programs_view
from explorer.components.progress_panel import HEARTBEAT_SECONDS

ss = st.session_state
SYNTHETIC, REAL = "Synthetic tasks (generated test questions)", "Real tables (WikiTableQuestions dev)"
STOP = "prog_stop"  # the Stop button
POLL_SECONDS = 1.0


def _entries() -> list[checkpoints.Entry]:
    return [e for e in checkpoints.list_checkpoints() if not e.error]


def _start() -> None:
    ss[state.PROG_ERROR] = None
    entry = checkpoints.find(_entries(), ss.get(state.PROG_CKPT))
    try:
        if entry is None:
            raise CheckpointError("it is no longer there")
        model, vocab, _ = checkpoints.load(entry)
        evaluations.start(state.run_owner(), entry.id, model, vocab, ss[state.PROG_TASK], int(ss[state.PROG_N]),
                          int(ss[state.PROG_SEED]))
    except CheckpointError as e:
        ss[state.PROG_ERROR] = f"This checkpoint cannot be used: {e}"
    except jobs.JobRefused as e:
        ss[state.PROG_ERROR] = f"The evaluation was not started: {e}."
    else:
        ss[state.PROG_STARTED] = True


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
    b.button("Stop", key=STOP, on_click=lambda: evaluations.stop(ss.get(state.RUN_OWNER)), disabled=not running)


def _progress_line(job: evaluations.Evaluation) -> str:
    if job.stop_requested:
        return "stopping…"
    if job.phase == evaluations.GENERATING:
        return f"generating {job.n:,} test questions…"
    return f"evaluated {job.done:,} of {job.n:,}"


@st.fragment(run_every=POLL_SECONDS)
def _poll() -> None:
    """The running evaluation's progress (each poll the owner's heartbeat); once it ends, the page runs again."""
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
    elif ss.get(state.PROG_STARTED):
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
    if ss.get(state.PROG_ERROR):
        st.error(escape.md(ss[state.PROG_ERROR]))
    if running:
        _poll()
    elif job is None or job.result is None:
        _no_result(job)
    else:
        _heartbeat()
        programs_view.draw(job.result)


@st.cache_data(max_entries=2, show_spinner=False)
def _evaluate_dev(ckpt: str, ckpt_mtime: float, tsv: str, tsv_mtime: float, tables_dir: str,
                  limit: int) -> dev_questions.DevResult:
    """Read, answer and score the first `limit` dev questions (keyed on both files' path and time)."""
    examples, problems, unreadable = dev_questions.read_examples(Path(tsv), Path(tables_dir), limit)
    model, vocab, _ = real_tables.load()
    return dev_questions.evaluate(model, vocab, examples, unreadable, problems=problems, tsv=tsv, limit=limit,
                                  ckpt=checkpoints.REAL_ID, beam=real_tables.APP_BEAM)  # as Ask answers them


def render_dev() -> None:
    """The 2017 checkpoint on the dev questions: its settings, then the result kept in the session."""
    if not real_tables.available():
        st.error(f"No 2017 checkpoint at {escape.md(real_tables.checkpoint_path())}: set NPX_WTQ_CHECKPOINT "
                 "to one (`python -m engine train --preset wtq2017 …` writes one).")
        return
    try:
        summary = real_tables.info().get("summary") or {}
    except (CheckpointError, OSError) as e:
        st.error(f"The 2017 checkpoint cannot be read: {escape.md(e)}")
        return
    dev = summary.get("dev_accuracy")  # the checkpoint and how it was trained, from its own summary
    st.markdown(f"Checkpoint {programs_view.code_span(real_tables.checkpoint_path().name)}: preset "
                f"*{escape.md(summary.get('preset', 'not recorded'))}*, method "
                f"*{escape.md(summary.get('method', 'not recorded'))}*" + (
                    f"; its training summary records **{dev:.1%}** on {summary.get('dev_examples', '?'):,} dev "
                    "questions (the split that also chose the checkpoint, so a little optimistic)."
                    if isinstance(dev, (int, float)) else "."))
    data_dir = real_tables.data_dir()
    tsv = dev_questions.dev_tsv(data_dir)
    if not tsv.is_file() or not data_dir.is_dir():
        st.warning(f"{dev_questions.ABSENT} {escape.md(data_dir)} (no {escape.md(tsv)}). Set **NPX_WTQ_DIR** to the "
                   "dataset's folder (the one holding `data/` and `csv/`), or **NPX_WTQ_DEV_TSV** to a question "
                   "file whose tables are under NPX_WTQ_DIR. The app reads the dataset where it is and never "
                   "copies it.")
        return
    left, right = st.columns([1, 3], vertical_alignment="bottom")
    limit = left.number_input("Questions (at most)", 1, dev_questions.MAX_LIMIT, dev_questions.DEFAULT_LIMIT,
                              key=state.WTQ_PROG_LIMIT, help="The first questions of the file. The whole dev split "
                              "has 2,831: about 3–4 minutes on two CPU cores (about 70 ms a question).")
    right.caption(f"From {escape.md(tsv)}: only the first {int(limit):,} questions are answered (a bound on "
                  "time and memory; raise it for the whole split). The result is kept until the checkpoint or "
                  "the file changes.")
    if st.button("Evaluate on the dev questions", type="primary", key=programs_view.DEV_RUN):
        path = real_tables.checkpoint_path()
        try:
            with st.spinner(f"Answering up to {int(limit):,} questions…"):
                ss[state.WTQ_PROG_RESULT] = _evaluate_dev(str(path), path.stat().st_mtime, str(tsv),
                                                          tsv.stat().st_mtime, str(data_dir), int(limit))
        except (InputError, CheckpointError, OSError) as e:
            st.error(f"The dev questions cannot be evaluated: {escape.md(e)}")
            return
    if ss.get(state.WTQ_PROG_RESULT) is None:
        st.info("Press **Evaluate on the dev questions** to run the checkpoint on them.")
    else:
        programs_view.draw(ss[state.WTQ_PROG_RESULT])


st.title("Induced programs")
state.show_flash()
real = st.radio("Questions", (SYNTHETIC, REAL), key="prog_view", horizontal=True) == REAL
st.caption(programs_view.LOOKS[WTQ2017 if real else NP2016].intro)
(render_dev if real else render)()
