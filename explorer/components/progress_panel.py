"""The live view of a training run: progress with ETA, loss and accuracy curves, and the probe question's
heatmaps redrawn from the weights as they are learned. Drawn by a fragment that polls the job."""

from __future__ import annotations

import plotly.graph_objects as go
import streamlit as st

from engine.trace import trace as run_trace
from explorer import state, training
from explorer.components import figures

MAX_POINTS = 400
HEARTBEAT_SECONDS = 5.0  # how often any open page of the owner tells the server it is still there


def _downsample(points: list) -> list:
    if len(points) <= MAX_POINTS:
        return points
    k = len(points) / MAX_POINTS
    return [points[int(i * k)] for i in range(MAX_POINTS)] + [points[-1]]


def _eta(seconds) -> str:
    if seconds is None:
        return "…"
    seconds = int(seconds)
    return f"{seconds // 60} min {seconds % 60:02d} s" if seconds >= 60 else f"{seconds} s"


def curves(snap: dict) -> tuple[go.Figure, go.Figure]:
    losses = _downsample(snap["losses"])
    loss = go.Figure(
        go.Scatter(x=[s for s, _ in losses], y=[v for _, v in losses], mode="lines", name="loss")
    )
    loss.update_layout(
        title={"text": "Training loss", "font": {"size": 14}},
        height=260,
        xaxis_title="step",
        margin={"l": 10, "r": 10, "t": 40, "b": 10},
    )
    acc = go.Figure()
    evals = snap["evals"]
    for i, name in ((1, "train"), (2, "validation")):
        acc.add_trace(
            go.Scatter(x=[e[0] for e in evals], y=[e[i] for e in evals], mode="lines+markers", name=name)
        )
    acc.update_layout(
        title={"text": "Accuracy (hard execution)", "font": {"size": 14}},
        height=260,
        xaxis_title="step",
        yaxis_range=[0, 1.02],
        margin={"l": 10, "r": 10, "t": 40, "b": 10},
        legend={"orientation": "h", "y": -0.25},
    )
    return loss, acc


def status_line(snap: dict) -> str:
    last = snap["losses"][-1][1] if snap["losses"] else None
    parts = [f"step {snap['step']} of {snap['total']}"]
    if snap["message"] == "generating data" and not snap["step"]:
        parts = ["generating the training data…"]
    elif not snap["done"]:
        parts.append(f"ETA {_eta(snap['eta'])}")
    if last is not None:
        parts.append(f"loss {last:.3g}")
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
        cached = (step, run_trace(model, job.vocab, ex["columns"], ex["rows"], ex["question"]))
        job._probe_trace = cached
    tr = cached[1]
    st.markdown(f"**Probe question** `{tr['question']}` — the program as of step {step}:")
    st.code("\n".join(tr["program_text"]), language=None)
    left, right = st.columns(2)
    with left:
        figures.show(figures.ops_figure(tr, "soft"), "probe_ops", clickable=False, name="probe-operations")
    with right:
        figures.show(
            figures.columns_figure(tr, "soft"), "probe_cols", clickable=False, name="probe-columns"
        )


def monitor(job) -> None:
    """Everything about one job; the caller wraps it in a polling fragment."""
    snap = job.progress.snapshot()
    total = max(snap["total"], 1)
    st.progress(min(snap["step"] / total, 1.0), text=status_line(snap))
    if snap["losses"]:
        loss, acc = curves(snap)
        left, right = st.columns(2)
        with left:
            figures.show(loss, "train_loss", clickable=False, name="loss")
        with right:
            figures.show(acc, "train_acc", clickable=False, name="accuracy")
    probe_view(job)


@st.fragment(run_every=HEARTBEAT_SECONDS)
def _run_status() -> None:
    job = training.touch(st.session_state.get(state.RUN_OWNER))
    if job is not None:
        st.caption(f"Training run: {status_line(job.progress.snapshot())}")


def sidebar_status() -> None:
    """On every page, while this browser's run goes on: one line about it, redrawn every few seconds, each
    redraw a sign to the server that the run's owner is still there (so it is not stopped as orphaned)."""
    job = training.touch(st.session_state.get(state.RUN_OWNER))
    if job is not None and job.running:
        _run_status()
