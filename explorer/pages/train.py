"""Train: pick a task (or the custom Teach set) and hyper-parameters; train in the background and watch. The run
belongs to the server under this browser's owner token (session state and the URL's `run`, so a reload finds it);
the page and its fragment touch it, and a run whose page is gone for a while is stopped (explorer/training.py)."""

from __future__ import annotations

import json

import pandas as pd
import streamlit as st

from engine.core.limits import CUSTOM_MAX_EXAMPLES
from engine.np2016 import presets
from engine.np2016.data import tasks as data
from explorer import checkpoints, escape, fine_tune_scores, jobs, run_command, state, training
from explorer.components import progress_panel, run_estimate, sweep_launcher, teach, train_settings

CUSTOM = "custom"
TAUGHT_APPLIED = "train_taught_applied"  # the teach.TAUGHT_BY value the base checkpoint was last set from
LAST_ESTIMATE = "train_last_estimate"  # seconds: the estimate shown next to Start, handed to the run
ss = st.session_state

st.title("Train a Neural Programmer")
st.caption("Training runs in the background: you can keep using the other pages, and stop it at any time (the best "
           "model so far is saved). Saved checkpoints appear in every checkpoint picker at once. A run stops on its "
           f"own when no page of yours has been open for {training.owner_timeout():g} s.")
state.show_flash()
job = training.touch(ss.get(state.RUN_OWNER))
running = job is not None and job.running

n_custom = len(ss.get(state.CUSTOM, []))
# the options' labels never change: Streamlit gives a widget whose labels change a new identity, and the
# choice went back to the first task when an upload changed the custom set's size
TASK_LABELS = {t: t for t in data.TASKS} | {CUSTOM: "the custom set from Teach (fine-tune a checkpoint)"}
task = st.selectbox("Task", list(TASK_LABELS), format_func=TASK_LABELS.get, key=state.TRAIN_TASK, disabled=running,
                    help="The paper's synthetic settings, or fine-tune a checkpoint on your own questions")
base = None
if task == CUSTOM:
    entries = [e for e in checkpoints.list_checkpoints() if not e.error]
    if not entries:
        st.error("Fine-tuning needs a checkpoint to start from, and there is none: train one on a task first.")
    else:
        ids = [e.id for e in entries]
        taught = teach.taught_by()
        taught_id = taught["id"] if taught and taught["id"] in ids else None
        if taught_id and ss.get(TAUGHT_APPLIED) != taught and not running:
            # a new teaching: start from the checkpoint that answered it (once: the user may pick another)
            ss[state.TRAIN_BASE], ss[TAUGHT_APPLIED] = taught_id, taught
        elif ss.get(state.TRAIN_BASE) not in ids:
            ss[state.TRAIN_BASE] = taught_id or (ss.get(state.CKPT) if ss.get(state.CKPT) in ids else ids[0])
        base_id = st.selectbox("Fine-tune this checkpoint", ids, key=state.TRAIN_BASE, disabled=running,
                               format_func=lambda i: checkpoints.find(entries, i).label)
        base = checkpoints.find(entries, base_id)
        if taught_id:
            st.caption("The checkpoint that answered your taught question on the Ask page is "
                       f"**{escape.md(checkpoints.find(entries, taught_id).label)}**"
                       + (" (chosen above)." if base_id == taught_id else "."))
    with st.expander(f"The custom set ({n_custom} examples)", expanded=n_custom == 0):
        if n_custom:
            st.dataframe(pd.DataFrame([{"question": e["question"], "answer": json.dumps(e["answer"]),
                                        "table": f"{len(e['rows'])} rows × {len(e['columns'])} columns"}
                                       for e in ss[state.CUSTOM]]), hide_index=True)
            a, b = st.columns(2)
            a.download_button("Download as JSONL", "\n".join(json.dumps(e) for e in ss[state.CUSTOM]),
                              "custom_set.jsonl", on_click="ignore", key="dl_custom")
            b.button("Clear the custom set", on_click=lambda: ss.__setitem__(state.CUSTOM, []), key="clear_custom")
        else:
            st.info("Empty. On the Ask page, open *Teach* under an answer to add the right answer to a "
                    "question, or upload a JSONL file of examples here.")
        st.file_uploader("Add examples from a JSONL file", type=["jsonl", "json", "txt"],
                         key=state.CUSTOM_UPLOAD, max_upload_size=5)
        upload = ss.get(state.CUSTOM_UPLOAD)
        if upload is not None and ss.get(state.CUSTOM_UPLOAD_SEEN) != upload.file_id:
            ss[state.CUSTOM_UPLOAD_SEEN] = upload.file_id
            try:
                added = training.read_custom_set(upload.getvalue(), upload.name)
            except ValueError as e:  # engine.core.io.examples.InputError: says which line and why
                st.error(escape.md(e))
            else:
                kept = (ss.get(state.CUSTOM, []) + added)[:CUSTOM_MAX_EXAMPLES]
                dropped = n_custom + len(added) - len(kept)
                ss[state.CUSTOM] = kept
                state.flash("success", f"Added {len(added) - dropped} example(s)."
                            + (f" {dropped} left out: the custom set holds at most {CUSTOM_MAX_EXAMPLES}."
                               if dropped else ""))
                st.rerun()


def _task_name(chosen: str | None, base_entry) -> str:
    """The synthetic task a run trains on: the chosen one, or the fine-tuned checkpoint's."""
    if chosen in data.TASKS:
        return chosen
    return base_entry.task if base_entry is not None and base_entry.task in data.TASKS else "single-column"


st.subheader("How to train")
train_settings.draw(running=running, custom=task == CUSTOM, task=_task_name(task, base), base=base)


def _start() -> None:
    """Start a run from the widget values (read from session state: a callback runs before the page)."""
    chosen = ss.get(state.TRAIN_TASK)
    base_entry = (checkpoints.find(checkpoints.list_checkpoints(), ss.get(state.TRAIN_BASE)) if chosen == CUSTOM
                  else None)
    owner = state.run_owner()
    try:
        cfg, model_values = train_settings.run_config(_task_name(chosen, base_entry))
        if chosen == CUSTOM and (base_entry is None or not ss.get(state.CUSTOM)):
            raise training.JobRefused("fine-tuning needs a checkpoint and at least one example in the custom set")
        run = ({"base": base_entry.path, "custom": list(ss[state.CUSTOM])} if chosen == CUSTOM
               else {"model_settings": model_values})
        training.start(owner, cfg, checkpoints.runs_dir(), estimate_seconds=ss.get(LAST_ESTIMATE), **run)
    except (training.JobRefused, ValueError, TypeError, OSError) as e:
        ss[state.TRAIN_ERROR] = str(e)
        return
    ss[state.TRAIN_ERROR] = None


busy = jobs.running_count()
if not running and busy >= jobs.MAX_ACTIVE_JOBS:
    st.info(f"{busy} jobs (training runs and small sweeps) are going on this server (the limit is "
            f"{jobs.MAX_ACTIVE_JOBS}): a new one can start when one of them ends.")
a, b, c = st.columns([1, 1, 4], vertical_alignment="center")
a.button("Start training", type="primary", on_click=_start, disabled=running, key="train_start")
b.button("Stop", on_click=lambda: training.stop(ss.get(state.RUN_OWNER)), disabled=not running, key="train_stop")
estimate_slot = c.empty()  # filled at the end of the page: the measurement must not hold up what is below
if ss.get(state.TRAIN_ERROR):
    st.error(escape.md(ss[state.TRAIN_ERROR]))


def _scores(preset: str, summary: dict) -> None:
    """The finished run's preset and accuracies: validation (the model kept) and test (scored once)."""
    a, b, c = st.columns(3)
    a.metric("Preset", preset, help=escape.md(presets.PRESETS[preset].description) if preset in presets.PRESETS
             else None)
    for column, key, label, help_text in (
        (b, "valid_accuracy", "Validation accuracy", "the best accuracy on fresh tables from the training "
         "distribution; the saved model is the one that reached it"),
        (c, "test_accuracy", "Test accuracy", "the test split, scored once after training"),
    ):
        value = summary.get(key)
        shown = f"{value:.1%}" if isinstance(value, (int, float)) and value >= 0 else "–"
        column.metric(label, shown, help=help_text + ("" if shown != "–" else " (none: not measured)"))


def _taught_scores(summary: dict, sentence: str) -> None:
    """A fine-tuning's results, each with its value before: taught examples (learned?), fresh ones (forgotten?)."""
    taught, fresh = summary["taught"], summary["fresh_test"]
    a, b = st.columns(2)
    a.metric("Taught examples answered right", f"{taught['correct']}/{taught['total']}",
             delta=f"{taught['correct'] - taught['correct_before']:+d} (before: {taught['correct_before']})",
             help="the examples of the custom set, which the fine-tuning trained on")
    after, before = fresh.get("accuracy"), fresh.get("before")
    measured = isinstance(after, (int, float)) and isinstance(before, (int, float))
    b.metric(f"Fresh {escape.md(fresh['task'])} test questions", f"{after:.1%}" if measured else "–",
             delta=f"{after - before:+.1%} (before: {before:.1%})" if measured else None,
             help=f"{fresh['n']} questions of the checkpoint's own task that neither it nor the fine-tuning saw: "
                  "a drop means the fine-tuning made it forget")
    st.caption(escape.md(sentence[0].upper() + sentence[1:]) + ".")


def _result(current: training.Job) -> None:
    """What became of a finished run: saved (where, how good), and why it ended early, if it did."""
    summary = current.summary or {}
    if current.error:
        st.error(escape.md(current.error))
    if summary.get("error"):
        st.warning(escape.md(summary["error"]))
    if current.saved_path is not None:
        why = summary.get("stopped_because")
        stopped = f" (stopped early: {why})" if why else (" (stopped early)" if summary.get("stopped") else "")
        st.success(f"Done{escape.md(stopped)}: saved as checkpoint **trained/{escape.md(current.name)}**. "
                   "It is in the checkpoint pickers now.")
        taught = fine_tune_scores.sentence(summary)
        if taught is not None:
            _taught_scores(summary, taught)
        else:
            _scores(current.cfg.preset, summary)
        if st.button("Use it on the Ask page", key="use_trained"):
            ss[state.CKPT] = f"trained/{current.name}"
            st.switch_page(state.ASK.path)
        if taught is not None and st.button("Compare before and after", key="compare_tuned",
                                            help="The Compare page puts the fine-tuned checkpoint beside the one "
                                            "it started from, step by step, on the Ask page's table and question"):
            ss[state.CKPT] = f"trained/{current.name}"
            ss[state.VERSUS] = ""  # the side-by-side view pairs a fine-tune with the checkpoint it came from
            st.switch_page(state.COMPARE.path)
    elif not current.error:
        st.info("Nothing was saved: the run ended before it completed a training step, so it has no "
                "trained model to keep.")


@st.fragment(run_every=1.0 if running else None)
def monitor() -> None:
    current = training.touch(ss.get(state.RUN_OWNER))  # the owner's heartbeat while the page is open
    if current is None:
        st.caption("No training run in this session yet.")
        return
    st.markdown(f"**Run:** `{current.name}` · preset **{escape.md(current.cfg.preset)}**")
    progress_panel.monitor(current)
    if current.base is None:  # a fine-tuning's custom set has no command-line equivalent
        with st.expander("The same run from the command line (same settings and seed: the same curve)"):
            st.code(run_command.command(current.cfg, current.model_config, f"{current.name}.safetensors"),
                    language="bash", wrap_lines=True)
    if current.running:
        return
    _result(current)
    if not current.announced:
        current.announced = True
        st.rerun()  # once, so the Start button and the pickers see the finished run


def _estimate() -> None:
    """The measured estimate of the run the widgets describe, next to Start (kept for Start to hand over)."""
    ss[LAST_ESTIMATE] = None
    if running or (task == CUSTOM and (base is None or not n_custom)):
        return
    try:
        cfg, model_values = train_settings.run_config(_task_name(task, base))
    except (ValueError, TypeError) as e:  # Start says the same, with the same words
        estimate_slot.caption(f"No time estimate: {escape.md(e)}")
        return
    # base is None unless fine-tuning (then the custom set is measured too)
    ss[LAST_ESTIMATE] = run_estimate.draw(estimate_slot, cfg, model_values, base, ss.get(state.CUSTOM))


monitor()
sweep_launcher.draw()
_estimate()
state.sync_url(run=True)  # the URL carries the run's token, so a reload finds the run
