"""The live view of a training run: progress with ETA, loss and accuracy curves, and the probe question's
heatmaps redrawn from the weights as they are learned. Drawn by a fragment that polls the job."""

from __future__ import annotations

import plotly.graph_objects as go
import streamlit as st

from engine.np2016.trace import trace as run_trace
from explorer import escape, jobs, small_sweep, state, training
from explorer.components import figures
from explorer.components.run_estimate import duration

MAX_POINTS = 400
HEARTBEAT_SECONDS = 5.0  # how often any open page of the owner tells the server it is still there


def _downsample(points: list) -> list:
    if len(points) <= MAX_POINTS:
        return points
    k = len(points) / MAX_POINTS
    return [points[int(i * k)] for i in range(MAX_POINTS)] + [points[-1]]


# room for the tick labels and axis titles: plotly's automargin grows a margin to fit its axis's labels, but
# only up to the figure's edge, so the base margins below leave the titles their own space as well
CHART_MARGIN = {"l": 64, "r": 16, "t": 64, "b": 52}


def run_settings(cfg) -> str:
    """The settings a chart was produced with, said in its title (a downloaded PNG keeps them)."""
    return f"{cfg.task}, preset {cfg.preset}, seed {cfg.seed}, lr {cfg.lr:g}, batch {cfg.batch_size}"


def _layout(fig: go.Figure, title: str, settings: str, y_title: str) -> None:
    fig.update_layout(
        title={"text": f"{title}<br><span style='font-size:11px'>{escape.html(settings)}</span>", "font": {"size": 14}},
        height=300, margin=CHART_MARGIN, xaxis={"title": {"text": "step"}, "automargin": True},
        yaxis={"title": {"text": y_title}, "automargin": True},
        # inside the plot's top left, which rising accuracy curves leave empty: below the plot it covered the
        # x axis title, above it the settings line
        legend={"x": 0.01, "xanchor": "left", "y": 0.99, "yanchor": "top", "bgcolor": "rgba(255,255,255,0.7)"},
    )


def curves(snap: dict, settings: str = "") -> tuple[go.Figure, go.Figure]:
    """The loss and accuracy charts of a progress snapshot; `settings` (run_settings) goes under each title."""
    losses, evals = _downsample(snap["losses"]), snap["evals"]
    loss = go.Figure(go.Scatter(x=[s for s, _ in losses], y=[v for _, v in losses], mode="lines", name="loss"))
    _layout(loss, "Training loss", settings, "loss (soft execution)")
    acc = go.Figure([go.Scatter(x=[e[0] for e in evals], y=[e[i] for e in evals], mode="lines+markers", name=name)
                     for i, name in ((1, "train"), (2, "validation"))])
    _layout(acc, "Accuracy (hard execution)", settings, "share answered right")
    acc.update_yaxes(range=[0, 1.02], tickformat=".0%")
    return loss, acc


def status_line(snap: dict) -> str:
    parts = [f"step {snap['step']} of {snap['total']}"]
    if snap["message"] == "generating data" and not snap["step"]:
        parts = ["generating the training data…"]
    elif snap["message"] not in ("training", "done", "") and not snap["step"]:
        # e.g. scoring the checkpoint before fine-tuning; or a torch.compile failure, which quotes an exception
        parts = [f"{escape.md(snap['message'])}…"]
    elif not snap["done"]:
        parts.append(f"about {duration(snap['eta'])} left")
    if snap["losses"]:
        parts.append(f"loss {snap['losses'][-1][1]:.3g}")
    if snap["best_accuracy"] >= 0:
        parts.append(f"best validation accuracy {snap['best_accuracy']:.0%}")
    return " · ".join(parts)


def probe_view(job) -> None:
    """Operation and column heatmaps of the probe question, from the latest weight snapshot."""
    probe = job.probe_model()
    if probe is None:
        st.caption("The probe question's heatmaps appear after the first training steps.")
        return
    step, model = probe
    cached = getattr(job, "_probe_trace", None)
    if cached is None or cached[0] != step:
        ex = job.probe
        job._probe_trace = cached = (step, run_trace(model, job.vocab, ex["columns"], ex["rows"], ex["question"]))
    tr = cached[1]
    # escaped text, not a code span: a fine-tuning's probe is the user's own first custom-set question, and a
    # backtick in it would end a code span, letting the rest become a link, an image or red text
    st.markdown(f"**Probe question:** {escape.md(tr['question'])} — the program as of step {step}:")
    st.code("\n".join(tr["program_text"]), language=None)
    figures.show_row((figures.ops_figure(tr, "soft"), "probe_ops", "probe-operations"),
                     (figures.columns_figure(tr, "soft"), "probe_cols", "probe-columns"))


def monitor(job) -> None:
    """Everything about one job; the caller wraps it in a polling fragment."""
    snap = job.progress.snapshot()
    total = max(snap["total"], 1)
    st.progress(min(snap["step"] / total, 1.0), text=status_line(snap))
    if job.estimate_seconds is not None:
        took = f"; the run took {duration(job.finished - job.started)}" if job.finished else ""
        st.caption(f"Estimated before the start: about {duration(job.estimate_seconds)}{took}.")
    if snap["losses"]:
        loss, acc = curves(snap, run_settings(job.cfg))
        figures.show_row((loss, "train_loss", "loss"), (acc, "train_acc", "accuracy"))
    probe_view(job)


@st.fragment(run_every=HEARTBEAT_SECONDS)
def _run_status() -> None:
    owner = st.session_state.get(state.RUN_OWNER)
    job = training.touch(owner)  # the heartbeat of every job of this owner (a small sweep's too)
    if job is not None and job.running:
        st.caption(f"Training run: {status_line(job.progress.snapshot())}")
    if any(j.kind == small_sweep.KIND for j in jobs.owner_running(owner)):
        st.caption("Small sweep: running (the Train page shows its runs)")


def sidebar_status() -> None:
    """On every page, while the server holds a job of this browser's: a line about what is running, redrawn every
    few seconds, each a sign that the job's owner is still there (so it is not stopped, nor its result let go)."""
    if jobs.owner_jobs(st.session_state.get(state.RUN_OWNER)):
        _run_status()
