"""The Train page's "Small sweep": one hyper-parameter over a few values, a few seeds and a short budget, run as a
background `python -m engine sweep` (explorer/small_sweep.py): one at a time in the app, stopped only by its owner;
a fragment polls it every POLL_SECONDS, each poll the owner's heartbeat."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from engine.core.settings import settings
from engine.np2016 import presets
from engine.np2016.config import TrainConfig
from engine.np2016.data import tasks as data
from engine.sweep.plan import recorded_ids
from explorer import escape, jobs, small_sweep, state, sweeps
from explorer.components import sweep_view

PRESET, TASK, VARY, VALUES = "sweep_preset", "sweep_task", "sweep_vary", "sweep_values"
SEEDS, STEPS, START, STOP, OPEN = "sweep_seeds", "sweep_steps", "sweep_start", "sweep_stop", "sweep_open"
ERROR, PATH = "sweep_error", "sweep_path"  # this session's refusal, its last sweep's directory
POLL_SECONDS = 2.0
SUGGESTED = {"lr": "0.001, 0.003, 0.01", "clip": "1, 10", "noise_eta": "0, 0.01, 1", "huber_delta": "1, 10",
             "lookup_weight": "5, 50", "adam_eps": "1e-8, 1e-6", "grad_noise": "true, false"}
LABELS = {s.name: s.label for s in settings(TrainConfig)}
ss = st.session_state


def chosen() -> small_sweep.SmallSweep:
    """The small sweep the widgets describe (SweepError if a value does not parse or fit)."""
    values = small_sweep.parse_values(ss[VARY], ss.get(VALUES) or "")
    return small_sweep.SmallSweep(ss[PRESET], ss[TASK], ss[VARY], values, int(ss[SEEDS]), int(ss[STEPS]))


def _start() -> None:
    try:
        launch = small_sweep.start(chosen(), state.run_owner())
    except (sweeps.SweepError, OSError) as e:
        ss[ERROR] = str(e)
        return
    ss[ERROR], ss[PATH] = None, str(launch.path)


def _show_settings(sweep: small_sweep.SmallSweep) -> None:
    ss[PRESET], ss[TASK], ss[VARY] = sweep.preset, sweep.task, sweep.vary
    ss[VALUES] = ", ".join(str(v).lower() if isinstance(v, bool) else str(v) for v in sweep.values)
    ss[SEEDS], ss[STEPS] = sweep.seeds, sweep.steps


def _settings(running: bool) -> None:
    a, b, c = st.columns(3)
    a.selectbox("Preset", presets.NAMES, key=PRESET, disabled=running)
    b.selectbox("Task", list(data.TASKS), key=TASK, disabled=running)
    c.selectbox("Hyper-parameter to vary", small_sweep.VARY, key=VARY, disabled=running,
                on_change=lambda: ss.update({VALUES: SUGGESTED[ss[VARY]]}), format_func=lambda n: f"{LABELS[n]} ({n})")
    ss.setdefault(VALUES, SUGGESTED[ss[VARY]])
    a, b, c = st.columns(3)
    a.text_input(f"Its values ({small_sweep.MIN_VALUES}–{small_sweep.MAX_VALUES}, separated by commas)",
                 key=VALUES, disabled=running)
    b.number_input("Seeds per value", 1, small_sweep.MAX_SEEDS, 1, key=SEEDS, disabled=running)
    c.number_input("Training steps per run", 1, small_sweep.MAX_STEPS, 300, step=100, key=STEPS, disabled=running,
                   help=f"at most {small_sweep.MAX_STEPS}: a small sweep is a quick look, not a result")


def _progress(path: Path, launch: small_sweep.Launch | None) -> None:
    """Records done / total, the log's end if the sweep failed, and the finished runs' figures."""
    try:
        sweep = sweeps.load(path)
    except (sweeps.SweepError, OSError):
        sweep = None
    ours = launch is not None and launch.path == path
    total = launch.sweep.runs if ours else sweep.total if sweep is not None else 0
    done = len(recorded_ids(path))
    running = ours and launch.running
    word = "stopping…" if running and launch.stopping else ("running" if running else "not running")
    if ours and not running and launch.stopping:
        word += f" (stopped: {launch.stop_reason})"
    st.progress(min(done / max(total, 1), 1.0), text=f"{done} of {total} runs finished · {word}")
    if ours and not running and launch.process.returncode not in (0, None) and not launch.stopping:
        st.error(f"The sweep ended with exit code {launch.process.returncode}; the end of its log:")
        st.code(small_sweep.log_tail(path) or "(empty)", language=None)
    if sweep is not None and sweep.records:
        sweep_view.counts(sweep)
        sweep_view.charts(sweep, "launcher")
    st.caption(f"Its directory: {escape.md(path)}")
    if st.button("Open it on the Sweeps page", key=OPEN,
                 on_click=lambda: ss.update({sweep_view.PAGE_PICK: ss[PATH]})):
        st.switch_page(state.SWEEPS.path)


def draw() -> None:
    launch = small_sweep.current()
    busy = launch is not None
    own = small_sweep.mine(ss.get(state.RUN_OWNER))
    mine = busy and own is launch
    if own is not None and not ss.get(PATH):  # a reloaded page: its sweep's directory again
        ss[PATH] = str(own.path)
    if mine:  # the (disabled) form shows the running sweep's settings, also after a reload
        _show_settings(own.sweep)
    st.subheader("Small sweep")
    st.caption("Train the same model several times, varying one hyper-parameter, to see which values train "
               f"reliably. At most {small_sweep.MAX_RUNS} runs of at most {small_sweep.MAX_STEPS:,} steps, one "
               "sweep at a time in this app; the other settings are the preset's. Stop keeps the finished runs, and "
               "starting the same settings again carries on from them.")
    _settings(busy)
    try:
        planned = chosen()
        planned.check()
    except sweeps.SweepError as e:
        planned = None
        st.warning(escape.md(e))
    else:
        st.caption(f"{len(planned.values)} value(s) × {planned.seeds} seed(s) = {planned.runs} runs of "
                   f"{planned.steps:,} steps, validated every {planned.eval_every} steps.")
    full = not busy and jobs.running_count() >= jobs.MAX_ACTIVE_JOBS
    if busy and not mine:
        st.info("A small sweep started from another page is running in this app; a new one can start when it "
                "ends.")
    elif full:
        st.info(f"{jobs.running_count()} jobs (training runs and small sweeps) are going on this server (the limit "
                f"is {jobs.MAX_ACTIVE_JOBS}): a sweep can start when one of them ends.")
    a, b, _ = st.columns([1, 1, 4])
    a.button("Start sweep", key=START, on_click=_start, disabled=busy or full or planned is None)
    b.button("Stop sweep", key=STOP, on_click=lambda: small_sweep.stop(ss.get(state.RUN_OWNER)),
             disabled=not (busy and mine))
    if ss.get(ERROR):
        st.error(escape.md(ss[ERROR]))
    _monitor(busy and mine)


def _monitor(polling: bool) -> None:
    @st.fragment(run_every=POLL_SECONDS if polling else None)
    def monitor() -> None:
        launch = small_sweep.mine(ss.get(state.RUN_OWNER))  # also the owner's heartbeat (jobs.touch)
        jobs.touch(ss.get(state.RUN_OWNER))
        if not ss.get(PATH):
            return
        _progress(Path(ss[PATH]), launch)
        if launch is not None and not launch.running and not launch.announced:
            launch.announced = True
            st.rerun()  # once, so the Start button sees the sweep has ended

    monitor()
