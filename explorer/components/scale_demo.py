"""The Compare page's scale demo: the LSTM baselines and the Neural Programmer answer the same question on the
baselines' own small table (one column of 4-7 integers, questions of their grammar), then with the cells and the
question's numbers ×10, ×100, ×1000 together, so every question keeps its meaning. Every answer is computed when
drawn; the accuracies quoted beside it are read from docs/baselines.json."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import pandas as pd
import streamlit as st

from engine.np2016.batch import column_kinds
from engine.np2016.checkpoint import CheckpointError
from engine.np2016.trace import fmt
from explorer import baselines, checkpoints, escape, questions

log = logging.getLogger(__name__)
DEMO_OPEN = "scale_demo_open"  # session key: the demo is shown (the lesson on the About page opens it)
QUESTION_PICK = "scale_demo_question"
TABLE_PICK, SEED_PICK = "scale_demo_table", "scale_demo_seed"  # the sample table, or a random one and its seed
SAMPLE, RANDOM = "sample", "random"
RESULTS_KEY = "np_scale_demo"  # the container of the demo's table and verdict (tests find it here)
NP = "Neural Programmer"


@dataclass
class ScaleRow:
    """One scale of the demo: the scaled question, the right answer and each model's (answer, right?)."""

    scale: int
    question: str
    right: float | None
    answers: dict[str, tuple[float | None, bool | None]] = field(default_factory=dict)  # model -> (answer, ok)


def _ok(value: float | None, right: float | None) -> bool | None:
    if right is None:
        return None
    return value is not None and abs(value - right) < 0.05


def run(entry: checkpoints.Entry, question: str, columns: list[str], rows: list[list]) -> list[ScaleRow]:
    """The demo's rows: every scale of baselines.DEMO_SCALES, each model asked live."""
    files, _ = baselines.available()
    kinds = column_kinds(columns, rows)
    out = []
    for k in baselines.DEMO_SCALES:
        r, q = baselines.scale_rows(rows, k), baselines.scale_question(question, k)
        want = questions.right_answer(q, columns, r, kinds)
        right = want.get("scalar") if want else None
        got = checkpoints.run_trace(entry, columns, r, q)["answer"]
        answers = {NP: got["scalar"] if got["kind"] == "scalar" else None}
        answers |= {path.stem: baselines.answer(path, columns, r, q)[0] for path in files}
        out.append(ScaleRow(k, q, right, {name: (value, _ok(value, right)) for name, value in answers.items()}))
    return out


def as_table(rows: list[ScaleRow]) -> pd.DataFrame:
    """What the page shows: one line per scale, every answer marked right (✓) or wrong (✗)."""
    def cell(value, ok):
        return "no answer" if value is None else fmt(value) + {True: " ✓", False: " ✗", None: ""}[ok]

    return pd.DataFrame([{"scale": f"×{r.scale}", "question": r.question,
                          "right answer": "—" if r.right is None else fmt(r.right),
                          **{name: cell(*a) for name, a in r.answers.items()}} for r in rows])


def _colour(cell) -> str:
    """Right answers green, wrong ones red (the ✓ / ✗ say it too, for readers who do not see colour)."""
    return {"✓": "color: #1a7f37; font-weight: 600", "✗": "color: #cf222e; font-weight: 600"}.get(str(cell)[-1:], "")


def verdict(rows: list[ScaleRow]) -> str:
    """One sentence from the results: where each model goes wrong (plain text; names are file stems)."""
    parts = []
    for name in rows[0].answers:
        wrong = [r.scale for r in rows if r.answers[name][1] is False]
        who = "the Neural Programmer" if name == NP else f"the {name} baseline"
        parts.append(f"{who} is right at every scale" if not wrong else f"{who} is wrong from ×{wrong[0]}"
                     + (f" ({len(wrong)} of {len(rows)} scales)" if len(wrong) < len(rows) else " (every scale)"))
    text = "; ".join(parts)
    return text[:1].upper() + text[1:] + "."


def _measured() -> None:
    """The benchmark's accuracies, quoted with where they come from."""
    m = baselines.measured_accuracy()
    if m is None:
        st.caption(f"The benchmark's figures ({baselines.MEASURED.name}) are not here: run "
                   "`python benchmarks/baselines.py` to measure them.")
        return
    lines = ["| model | accuracy, cells and pivots in [−10, 10] (the training range) | in [−50, 50] |",
             "|---|---|---|"]
    lines += [f"| {escape.md(name)} | {a10:.2%} | {a50:.2%} |" for name, a10, a50 in m["rows"]]
    st.markdown("**Measured on many questions** (the demo above is one):\n\n" + "\n".join(lines))
    st.caption(f"Exact-match accuracy on {m['test_size']:,} fresh test questions per range "
               f"({escape.md(m['metric'])}), measured by `{baselines.code_span(m['command'])}` on "
               f"{escape.md(m['date'])}; stored in docs/baselines.json and summarised in docs/RESULTS.md, "
               "section *LSTM baselines*.")


def draw() -> None:
    """The demo's button and, once opened, its question picker, table, verdict and the measured figures."""
    ss = st.session_state
    if not ss.get(DEMO_OPEN):
        st.button("Run the scale demo: the same table, numbers ×1 to ×1000", key="scale_demo_run",
                  icon=":material/play_arrow:", on_click=lambda: ss.update({DEMO_OPEN: True}))
        return
    st.button("Hide the scale demo", key="scale_demo_hide", on_click=lambda: ss.update({DEMO_OPEN: False}))
    files, why_not = baselines.available()
    if not files:
        st.info(f"The demo needs the baselines' checkpoints: {escape.md(why_not)}.")
        return
    ss.setdefault(TABLE_PICK, SAMPLE)
    left, right = st.columns([2, 1], vertical_alignment="bottom")
    which = left.segmented_control("Table", [SAMPLE, RANDOM], key=TABLE_PICK, required=True, format_func={
        SAMPLE: f"the sample {baselines.DEMO_SAMPLE}", RANDOM: "a random table of the baselines' task"}.get)
    seed = right.number_input("Seed of the random table", 0, 99_999, 0, key=SEED_PICK) if which == RANDOM else None
    columns, rows = baselines.demo_table(None if seed is None else int(seed))
    entry = checkpoints.best_match(checkpoints.list_checkpoints(), columns, column_kinds(columns, rows))
    if entry is None:
        st.info("No Neural Programmer checkpoint suits the demo's one-column table: train one (task "
                "single-column) on the **Train** page.")
        return
    ss.setdefault(QUESTION_PICK, baselines.DEMO_QUESTIONS[0])
    question = st.selectbox("Question (the baselines know only these words: sum, count, greater, lesser, "
                            "and, or, diff and the column A)", baselines.DEMO_QUESTIONS, key=QUESTION_PICK)
    where = f"the sample *{baselines.DEMO_SAMPLE}*" if seed is None else f"drawn with seed {int(seed)}"
    st.caption(f"The table: column A = {', '.join(fmt(r[0]) for r in rows)} ({where}, in the baselines' "
               "training range: 4–7 integers in [−10, 10]). Each line multiplies every cell "
               "and every number of the question, so the question means the same thing at every scale. "
               f"Neural Programmer: checkpoint **{escape.md(entry.id)}**, the best match for this table.")
    try:
        results = run(entry, question, columns, rows)
    except CheckpointError as e:
        st.error(f"The demo could not run: {escape.md(e)}.")
        return
    except Exception as e:  # noqa: BLE001 - shown as a message, never as a traceback
        log.exception("scale demo failed")
        st.error(f"The demo could not run ({type(e).__name__}: {escape.md(e)}).")
        return
    with st.container(key=RESULTS_KEY):
        st.table(as_table(results).style.map(_colour))
        st.markdown(f"**{escape.md(verdict(results))}**")
    st.caption("The LSTMs must compute the answer inside their weights, digit by digit, and never saw numbers "
               "this large; the Neural Programmer only chooses operations, which compute exactly at any scale.")
    _measured()
