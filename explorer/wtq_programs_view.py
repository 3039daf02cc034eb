"""The Programs page's "Real tables (WikiTableQuestions dev)" view: the 2017 checkpoint's induced programs on
the dev split, grouped by program shape with each group's count and accuracy, and every question of a group
with its table, its program in words and its answer beside the dataset's (explorer/wtq_programs.py does the
work; this draws it). Everything a table or a question holds is escaped where markdown shows it.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import streamlit as st

from engine.core.io.csv_table import InputError
from engine.core.safetensors_reader import CheckpointError
from explorer import escape, real_tables, state, wtq_programs
from explorer.checkpoints import REAL_ID

RUN_KEY, OPEN_KEY = "wtq_prog_run", "wtq_prog_open"  # buttons (the view's state: explorer/state.py, WTQ_PROG_*)
GROUPS_KEY, MEMBERS_KEY = "wtq_prog_groups", "wtq_prog_members"  # tables shown
ABSENT = "The WikiTableQuestions dataset is not at"


@st.cache_data(max_entries=2, show_spinner=False)
def _evaluate(ckpt: str, ckpt_mtime: float, tsv: str, tsv_mtime: float, tables_dir: str, limit: int) -> dict:
    """Read, answer and score the first `limit` dev questions; keyed on the checkpoint's and the question
    file's path and time, so a new checkpoint or dataset is evaluated afresh."""
    examples, problems, unreadable = wtq_programs.read_examples(Path(tsv), Path(tables_dir), limit)
    model, vocab, _ = real_tables.load()
    evaluation = wtq_programs.evaluate(model, vocab, examples, unreadable)
    return {**evaluation, "problems": problems, "tsv": tsv, "limit": limit}


def _method_line(summary: dict) -> str:
    """Which checkpoint this is and how it was trained, from its own summary (our constant text and numbers)."""
    dev = summary.get("dev_accuracy")
    figure = (f"; its training summary records **{dev:.1%}** on {summary.get('dev_examples', '?'):,} dev "
              "questions (the split that also chose the checkpoint, so a little optimistic)"
              if isinstance(dev, (int, float)) else "")
    return (f"Checkpoint {escape.md(real_tables.checkpoint_path().name)}: preset "
            f"*{escape.md(summary.get('preset', 'not recorded'))}*, method "
            f"*{escape.md(summary.get('method', 'not recorded'))}*{figure}.")


def render() -> None:
    ss = st.session_state
    st.caption(
        "The 2017 model (plain English on real tables) answers the WikiTableQuestions dev questions; their "
        "induced programs are grouped by *program shape* (the operations in order, reset steps left out). "
        "Accuracy follows the benchmark's rules (answers normalised, numbers and dates by value, compared as sets)."
    )
    if not real_tables.available():
        st.error(f"No 2017 checkpoint at {escape.md(real_tables.checkpoint_path())}: set NPX_WTQ_CHECKPOINT "
                 "to one (`python -m engine train --preset wtq2017 …` writes one).")
        return
    try:
        summary = real_tables.info().get("summary") or {}
    except (CheckpointError, OSError) as e:
        st.error(f"The 2017 checkpoint cannot be read: {escape.md(e)}")
        return
    st.markdown(_method_line(summary))
    data_dir = real_tables.data_dir()
    tsv = wtq_programs.dev_tsv(data_dir)
    if not tsv.is_file() or not data_dir.is_dir():
        st.warning(f"{ABSENT} {escape.md(data_dir)} (no {escape.md(tsv)}). Set **NPX_WTQ_DIR** to the "
                   "dataset's folder (the one holding `data/` and `csv/`), or **NPX_WTQ_DEV_TSV** to a question "
                   "file whose tables are under NPX_WTQ_DIR. The app reads the dataset where it is and never "
                   "copies it.")
        return
    left, right = st.columns([1, 3], vertical_alignment="bottom")
    limit = left.number_input("Questions (at most)", 1, wtq_programs.MAX_LIMIT, wtq_programs.DEFAULT_LIMIT,
                              key=state.WTQ_PROG_LIMIT, help="The first questions of the file. The whole dev split has "
                              "2,831: about 3–4 minutes on two CPU cores (about 70 ms a question).")
    right.caption(f"From {escape.md(tsv)}: only the first {int(limit):,} questions are answered (a bound on "
                  "time and memory; raise it for the whole split). The result is kept until the checkpoint or "
                  "the file changes.")
    if st.button("Evaluate on the dev questions", type="primary", key=RUN_KEY):
        path = real_tables.checkpoint_path()
        try:
            with st.spinner(f"Answering up to {int(limit):,} questions…"):
                ss[state.WTQ_PROG_RESULT] = _evaluate(str(path), path.stat().st_mtime, str(tsv), tsv.stat().st_mtime,
                                           str(data_dir), int(limit))
        except (InputError, CheckpointError, OSError) as e:
            st.error(f"The dev questions cannot be evaluated: {escape.md(e)}")
            return
    evaluation = ss.get(state.WTQ_PROG_RESULT)
    if not evaluation:
        st.info("Press **Evaluate on the dev questions** to run the checkpoint on them.")
        return
    _show(evaluation)


def _show(evaluation: dict) -> None:
    score = evaluation["score"]
    st.subheader(f"{score['accuracy']:.1%} right ({score['correct']} of {score['total']})")
    st.caption(f"The first {evaluation['limit']:,} questions of {escape.md(evaluation['tsv'])}, scored by "
               "engine.wtq2017.predict.score. Unreadable examples count as wrong: "
               f"{evaluation['unreadable']}.")
    for problem in evaluation.get("problems", []):
        st.warning(escape.md(problem))
    by_type = score.get("by_answer_type") or {}
    if by_type:
        with st.expander("By answer type (as the converter typed the dataset's answers)"):
            st.dataframe(pd.DataFrame([{"answer type": k, "questions": v["total"], "right": v["correct"],
                                        "accuracy": v["accuracy"]} for k, v in by_type.items()]),
                         hide_index=True, key="wtq_prog_types", column_config={"accuracy": st.column_config.
                         ProgressColumn("accuracy", format="percent", min_value=0, max_value=1)})
    only_wrong = st.toggle("Only wrong answers", key=state.WTQ_PROG_WRONG)
    groups = wtq_programs.shape_groups(evaluation, only_wrong)
    if not groups:
        st.success("No wrong answers to show.")
        return
    st.dataframe(pd.DataFrame(groups), hide_index=True, key=GROUPS_KEY, column_config={
        "accuracy": st.column_config.ProgressColumn("accuracy", format="percent", min_value=0, max_value=1)})
    by_shape = {g["program shape"]: g for g in groups}
    shape = st.selectbox("Program shape", list(by_shape), key=state.WTQ_PROG_SHAPE, format_func=lambda s: (
        f"{s} ({_questions(by_shape[s]['examples'])}, {by_shape[s]['accuracy']:.0%} right)"))
    results = evaluation["results"]
    members = wtq_programs.in_group(evaluation, shape, only_wrong)
    st.dataframe(pd.DataFrame([{
        "": wtq_programs.verdict(results[i]), "id": results[i]["id"], "question": results[i]["question"],
        "answer": " | ".join(results[i]["denotation"]), "dataset's answer": " | ".join(results[i]["target"] or []),
        "table": results[i]["table"]} for i in members]), hide_index=True, key=MEMBERS_KEY)
    pick = st.selectbox("Question", members, key=state.WTQ_PROG_EXAMPLE, format_func=lambda i: (
        f"{wtq_programs.verdict(results[i])} {results[i]['id']}: {results[i]['question']}"))
    if pick is not None:
        _example(results[pick], evaluation["tables"][results[pick]["table"]])


def _questions(n: int) -> str:
    return f"{n} question" if n == 1 else f"{n} questions"


def _example(result: dict, table: dict) -> None:
    """One question: its program in words, its answer beside the dataset's, and its table."""
    mark = {True: ":green[right]", False: ":red[wrong]"}.get(result["correct"], "no answer to compare with")
    with st.container(border=True, key="wtq_prog_detail"):
        st.markdown(f"**{escape.md(result['question'])}** — {mark}")
        st.markdown("\n".join(f"- {escape.md(w)}" for w in result["words"]))
        st.markdown(f"Answer: **{escape.md_join(result['denotation']) or '(none)'}** · the dataset's answer: "
                    f"**{escape.md_join(result['target'] or []) or '(none)'}**")
        st.caption(f"Table {escape.md(result['table'])} of WikiTableQuestions (CC BY-SA 4.0), "
                   f"{len(table['rows'])} rows × {len(table['columns'])} columns.")
        st.dataframe(pd.DataFrame(table["rows"], columns=table["columns"]), hide_index=True,
                     key="wtq_prog_table")
        if st.button("Open in Ask", key=OPEN_KEY, icon=":material/arrow_forward:"):
            _open_in_ask(result, table)


def _open_in_ask(result: dict, table: dict) -> None:
    """The question and its table on the Ask page (in this session only: nothing is written to disk)."""
    example = {"columns": table["columns"], "rows": table["rows"], "question": result["question"]}
    state.load_example(example, None, f"WikiTableQuestions {result['id']} (Wikipedia, CC BY-SA)")
    st.session_state.pop(state.QUESTION_BOX, None)
    st.session_state[state.CKPT] = REAL_ID  # the model whose program this page showed
    st.session_state[state.STEP] = 1
    st.switch_page(state.ASK.path)
