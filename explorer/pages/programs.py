"""Programs: evaluate a checkpoint on a generated test set and browse the programs it induces; or browse the
2017 model's programs on the WikiTableQuestions dev questions (explorer/wtq_programs_view.py)."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from engine import data
from engine.checkpoint import CheckpointError
from explorer import checkpoints, escape, programs, state, wtq_programs_view
from explorer.components import figures

ss = st.session_state
SYNTHETIC, REAL = "Synthetic tasks (generated test questions)", "Real tables (WikiTableQuestions dev)"
st.title("Induced programs")
state.show_flash()
if st.radio("Questions", (SYNTHETIC, REAL), key="prog_view", horizontal=True) == REAL:
    wtq_programs_view.render()
    st.stop()
st.caption(
    "Evaluate a checkpoint on freshly generated test questions, then see which program it induces "
    "for each question template, how often, and how often it is right."
)

entries = [e for e in checkpoints.list_checkpoints() if not e.error]
if not entries:
    st.error("No checkpoint found: put one in `checkpoints/` or train one on the Train page.")
    st.stop()
ids = [e.id for e in entries]
if ss.get(state.PROG_CKPT) not in ids:
    ss[state.PROG_CKPT] = ss.get(state.CKPT) if ss.get(state.CKPT) in ids else ids[0]
c1, c2, c3, c4 = st.columns([3, 2, 1, 1], vertical_alignment="bottom")
ckpt_id = c1.selectbox(
    "Checkpoint", ids, key=state.PROG_CKPT, format_func=lambda i: checkpoints.find(entries, i).label
)
entry = checkpoints.find(entries, ckpt_id)
tasks = list(data.TASKS)
default_task = entry.task if entry.task in tasks else tasks[0]
if ss.get(state.PROG_TASK_FOR) != ckpt_id:
    ss[state.PROG_TASK], ss[state.PROG_TASK_FOR] = default_task, ckpt_id
task = c2.selectbox("Test questions of task", tasks, key=state.PROG_TASK)
n = c3.number_input("Examples", 10, 5000, min(programs.template_count(task), 300), key=state.PROG_N)
seed = c4.number_input("Seed", 0, 10**6, 7, key=state.PROG_SEED)

if st.button("Evaluate", type="primary", key="prog_run"):
    try:
        model, vocab, _ = checkpoints.load(entry)
    except CheckpointError as e:
        st.error(f"This checkpoint cannot be used: {e}")
        st.stop()
    bar = st.progress(0.0, text="generating the test questions…")
    examples = data.generate(task, "test", int(n), int(seed))
    results = programs.induced_programs(
        model,
        vocab,
        examples,
        progress=lambda done, total: bar.progress(done / total, text=f"evaluated {done} of {total}"),
    )
    bar.empty()
    ss[state.PROGRAMS] = {
        "ckpt": ckpt_id,
        "task": task,
        "examples": examples,
        "results": results,
        "summary": programs.summarise(examples, results),
    }

res = ss.get(state.PROGRAMS)
if not res:
    st.info("Press **Evaluate** to run the checkpoint on the test questions.")
    st.stop()

summary, examples, results = res["summary"], res["examples"], res["results"]
st.subheader(
    f"{escape.md(res['ckpt'])} on {res['task']}: {summary['accuracy']:.1%} right "
    f"({summary['correct']} of {summary['total']})"
)
m1, m2, m3 = st.columns(3)
m1.metric("Right answers", f"{summary['correct']} of {summary['total']}", border=True)
m2.metric(
    "Right, right program",
    summary[programs.RIGHT_PROGRAM],
    border=True,
    help="A right answer from the grammar's own program (the same answer on every table).",
)
m3.metric(
    "Right answer, wrong program",
    summary[programs.WRONG_PROGRAM],
    border=True,
    help="A right answer by luck: the program differs from the grammar's and would answer another table wrongly.",
)
only_errors = st.toggle("Only templates with errors", key=state.PROG_ERRORS)

pat = pd.DataFrame(summary["patterns"])
fig = go.Figure(
    go.Bar(
        x=pat["pattern"],
        y=pat["accuracy"],
        customdata=pat["examples"],
        hovertemplate="%{x}<br>accuracy %{y:.0%} of %{customdata} examples<extra></extra>",
    )
)
fig.update_layout(
    title={"text": "Accuracy per kind of question (operations of the template)", "font": {"size": 14}},
    height=320,
    yaxis_range=[0, 1.02],
    yaxis_tickformat=".0%",
    margin={"l": 10, "r": 10, "t": 40},
)
fig.update_yaxes(automargin=True)
fig.update_xaxes(automargin=True)
figures.show(fig, "prog_chart", clickable=False, name="accuracy-per-template")

tmpl = pd.DataFrame(summary["templates"])
if only_errors:
    tmpl = tmpl[tmpl["correct"] < tmpl["examples"]]
st.markdown(
    "**Templates** (the canonical program of the question, columns named A, B, … by position) and the "
    "program the model induced most often:"
)
st.dataframe(
    tmpl.drop(columns=["pattern"]),
    hide_index=True,
    key="prog_templates",
    column_config={
        "accuracy": st.column_config.ProgressColumn("accuracy", format="percent", min_value=0, max_value=1)
    },
)
progs = pd.DataFrame(summary["programs"])
if only_errors:
    progs = progs[progs["correct"] < progs["examples"]]
with st.expander(f"All induced programs per template ({len(progs)})"):
    st.dataframe(
        progs,
        hide_index=True,
        key="prog_programs",
        column_config={
            "accuracy": st.column_config.ProgressColumn(
                "accuracy", format="percent", min_value=0, max_value=1
            )
        },
    )

st.markdown("**Open an example** in Ask or Step through:")
pool = [i for i, r in enumerate(results) if not (only_errors and r["correct"])]
if not pool:
    st.success("No errors to show.")
    st.stop()


def _label(i: int) -> str:
    mark = "✗" if not results[i]["correct"] else "✓ (wrong program)" if results[i].get("program_check") == "different" \
        else "✓"
    return f"{mark} #{i}: {examples[i]['question']}  →  {results[i]['program']}"


pick = st.selectbox("Example", pool[:1000], format_func=_label, key=state.PROG_EXAMPLE)
a, b, _ = st.columns([1, 1, 3])


def _open(page: str) -> None:
    ex = examples[pick]
    state.load_example(ex, res["ckpt"], f"{res['task']} test example #{pick}")
    ss.pop(state.QUESTION_BOX, None)
    ss[state.STEP] = 1
    st.switch_page(page)


if a.button("Open in Ask", key="open_ask"):
    _open(state.ASK.path)
if b.button("Open in Step through", key="open_step"):
    _open(state.STEP_THROUGH.path)
ex = examples[pick]
st.caption(
    f"Right answer: {ex['answer']} · template: {ex.get('program')} · table {len(ex['rows'])} rows × "
    f"{len(ex['columns'])} columns"
)
