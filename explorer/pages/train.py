"""Train: pick a task (or the custom Teach set) and hyper-parameters; train in the background and watch."""

from __future__ import annotations

import json

import pandas as pd
import streamlit as st

from engine import data
from engine.config import TrainConfig
from explorer import models, state, training
from explorer.components import progress_panel

CUSTOM = "custom"
ss = st.session_state

st.title("Train a Neural Programmer")
st.caption(
    "Training runs in the background: you can keep using the other pages, and stop it at any time "
    "(the best model so far is saved). Saved checkpoints appear in every checkpoint picker at once."
)
state.show_flash()
job: training.Job | None = ss.get(state.JOB)
running = job is not None and job.running

tasks = list(data.TASKS) + [CUSTOM]
n_custom = len(ss.get(state.CUSTOM, []))
task_labels = {t: t for t in data.TASKS} | {CUSTOM: f"custom set from Teach ({n_custom} examples)"}
task = st.selectbox(
    "Task",
    tasks,
    format_func=task_labels.get,
    key="train_task",
    disabled=running,
    help="The paper's synthetic settings, or fine-tune a checkpoint on your own questions",
)
base = None
if task == CUSTOM:
    entries = [e for e in models.list_checkpoints() if not e.error]
    if not entries:
        st.error(
            "Fine-tuning needs a checkpoint to start from, and there is none: train one on a task first."
        )
    else:
        ids = [e.id for e in entries]
        pick = ss.get(state.CKPT) if ss.get(state.CKPT) in ids else ids[0]
        if ss.get("train_base") not in ids:
            ss["train_base"] = pick
        base_id = st.selectbox(
            "Fine-tune this checkpoint",
            ids,
            key="train_base",
            disabled=running,
            format_func=lambda i: models.find(entries, i).label,
        )
        base = models.find(entries, base_id)
    with st.expander(f"The custom set ({n_custom} examples)", expanded=n_custom == 0):
        if n_custom:
            st.dataframe(
                pd.DataFrame(
                    [
                        {
                            "question": e["question"],
                            "answer": json.dumps(e["answer"]),
                            "table": f"{len(e['rows'])} rows × {len(e['columns'])} columns",
                        }
                        for e in ss[state.CUSTOM]
                    ]
                ),
                hide_index=True,
            )
            a, b = st.columns(2)
            a.download_button(
                "Download as JSONL",
                "\n".join(json.dumps(e) for e in ss[state.CUSTOM]),
                "custom_set.jsonl",
                on_click="ignore",
                key="dl_custom",
            )
            b.button(
                "Clear the custom set", on_click=lambda: ss.__setitem__(state.CUSTOM, []), key="clear_custom"
            )
        else:
            st.info(
                "Empty. On the Ask page, open *Teach* under an answer to add the right answer to a "
                "question, or upload a JSONL file of examples here."
            )
        st.file_uploader(
            "Add examples from a JSONL file",
            type=["jsonl", "json", "txt"],
            key="custom_upload",
            max_upload_size=5,
        )
        upload = ss.get("custom_upload")
        if upload is not None and ss.get("custom_upload_seen") != upload.file_id:
            ss["custom_upload_seen"] = upload.file_id
            try:
                added = training.parse_jsonl(upload.getvalue())
                ss[state.CUSTOM] = (ss.get(state.CUSTOM, []) + added)[:500]
                st.success(f"Added {len(added)} example(s).")
                st.rerun()
            except ValueError as e:
                st.error(f"{upload.name}: {e}")

st.subheader("Hyper-parameters")
fixed = base is not None
c = st.columns(4)
if fixed:
    c[0].metric("Steps per program (T)", base.steps, help="fixed by the checkpoint being fine-tuned")
    c[1].metric("Hidden size", base.d, help="fixed by the checkpoint being fine-tuned")
else:
    c[0].number_input("Steps per program (T)", 1, 8, 4, key="hp_T", disabled=running)
    c[1].selectbox("Hidden size", [16, 32, 64, 128, 256], index=2, key="hp_d", disabled=running)
c[2].number_input("Learning rate", 1e-5, 0.1, 3e-3, format="%.5f", key="hp_lr", disabled=running)
c[3].number_input("Batch size", 1, 500, 50, key="hp_batch", disabled=running)
c = st.columns(4)
c[0].toggle("Gradient noise", True, key="hp_noise", disabled=running)
c[1].number_input(
    "Noise scale η",
    0.0,
    1.0,
    0.01,
    format="%.4f",
    key="hp_eta",
    disabled=running or not ss.get("hp_noise", True),
)
c[2].number_input("Clipping threshold", 0.01, 100.0, 1.0, key="hp_clip", disabled=running)
c[3].number_input("Huber δ", 0.1, 1000.0, 10.0, key="hp_huber", disabled=running)
c = st.columns(4)
c[0].number_input("λ (lookup loss weight)", 0.0, 1000.0, 50.0, key="hp_lambda", disabled=running)
c[1].number_input("Seed", 0, 10**6, 0, key="hp_seed", disabled=running)
c[2].number_input(
    "Training steps", 1, 100_000, 200 if task == CUSTOM else 1000, key="hp_steps", disabled=running
)
c[3].number_input(
    "Evaluate every", 1, 10_000, 50 if task == CUSTOM else 100, key="hp_every", disabled=running
)
c = st.columns(4)
c[0].number_input(
    "Search: programs sampled", 0, 256, 32, key="hp_search", disabled=running,
    help="programs sampled per question, executed exactly; the ones that answer right are learned (0 = off)",
)
c[1].number_input("Search weight", 0.0, 1000.0, 20.0, key="hp_search_weight", disabled=running)
c[2].number_input(
    "Search: exploration ε", 0.0, 1.0, 0.5, key="hp_epsilon", disabled=running,
    help="share of uniform choice mixed into the sampling, so rare programs get tried",
)
c[3].number_input(
    "Remembered programs", 0, 16, 4, key="hp_memory", disabled=running,
    help="right programs kept per question wording and tried again on later tables (0 = no memory)",
)
with st.expander("Data sizes"):
    c = st.columns(2)
    c[0].number_input(
        "Training examples", 10, 50_000, 5000, key="hp_train_size", disabled=running or task == CUSTOM
    )
    c[1].number_input("Test examples", 10, 5000, 300, key="hp_eval_size", disabled=running or task == CUSTOM)


def _start() -> None:
    """Start a run from the widget values (read from session state: a callback runs before the page)."""
    hp = {
        k: ss.get(f"hp_{k}")
        for k in (
            "T",
            "d",
            "lr",
            "batch",
            "noise",
            "eta",
            "clip",
            "huber",
            "lambda",
            "seed",
            "steps",
            "every",
            "train_size",
            "eval_size",
            "search",
            "search_weight",
            "epsilon",
            "memory",
        )
    }
    chosen = ss.get("train_task")
    base_entry = models.find(models.list_checkpoints(), ss.get("train_base")) if chosen == CUSTOM else None
    cfg_task = (
        chosen
        if chosen in data.TASKS
        else (base_entry.task if base_entry and base_entry.task in data.TASKS else "single-column")
    )
    try:
        cfg = TrainConfig(
            task=cfg_task,
            steps=int(hp["steps"]),
            batch_size=int(hp["batch"]),
            lr=float(hp["lr"]),
            clip=float(hp["clip"]),
            grad_noise=bool(hp["noise"]),
            noise_eta=float(hp["eta"]),
            huber_delta=float(hp["huber"]),
            lookup_weight=float(hp["lambda"]),
            train_size=int(hp["train_size"]),
            eval_size=int(hp["eval_size"]),
            eval_every=int(hp["every"]),
            seed=int(hp["seed"]),
            search_samples=int(hp["search"]),
            search_weight=float(hp["search_weight"]),
            search_epsilon=float(hp["epsilon"]),
            search_memory=int(hp["memory"]),
        )
        if chosen == CUSTOM:
            if base_entry is None or not ss.get(state.CUSTOM):
                raise RuntimeError(
                    "fine-tuning needs a checkpoint and at least one example in the custom set"
                )
            new = training.start(cfg, models.runs_dir(), base=base_entry.path, custom=list(ss[state.CUSTOM]))
        else:
            new = training.start(cfg, models.runs_dir(), d=int(hp["d"]), T=int(hp["T"]))
    except (RuntimeError, ValueError, TypeError) as e:
        ss["train_error"] = str(e)
        return
    ss["train_error"] = None
    ss[state.JOB] = new


def _stop() -> None:
    if ss.get(state.JOB) is not None:
        ss[state.JOB].stop.set()


a, b, _ = st.columns([1, 1, 4])
a.button("Start training", type="primary", on_click=_start, disabled=running, key="train_start")
b.button("Stop", on_click=_stop, disabled=not running, key="train_stop")
if ss.get("train_error"):
    st.error(ss["train_error"])


@st.fragment(run_every=1.0 if running else None)
def monitor() -> None:
    current: training.Job | None = ss.get(state.JOB)
    if current is None:
        st.caption("No training run in this session yet.")
        return
    st.markdown(f"**Run:** `{current.name}`")
    progress_panel.monitor(current)
    if current.running:
        return
    if current.error:
        st.error(current.error)
    elif current.saved_path is not None:
        acc = (current.summary or {}).get("eval_accuracy", -1)
        stopped = " (stopped early)" if (current.summary or {}).get("stopped") else ""
        st.success(
            f"Done{stopped}: saved as checkpoint **trained/{current.name}**"
            f"{f' with test accuracy {acc:.0%}' if acc >= 0 else ''}. It is in the checkpoint pickers now."
        )
        if st.button("Use it on the Ask page", key="use_trained"):
            ss[state.CKPT] = f"trained/{current.name}"
            st.switch_page("explorer/pages/ask.py")
    if not current.announced:
        current.announced = True
        st.rerun()  # once, so the Start button and the pickers see the finished run


monitor()
