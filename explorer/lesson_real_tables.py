"""Lesson 8, "Plain English on real tables": a few of the 2017 paper's own questions (P17 Table 2, spec §8.6)
on the WikiTableQuestions sample tables. The shipped 2017 checkpoint answers each one live (its answer and
program are never stored here), its program in words is set beside the paper's, and its answer beside the
dataset's, marked right or wrong by the benchmark's rules (engine.wtq2017.dataset.evaluator.denotation_match).
The paper's figures are quoted from engine/papers.py (spec §8.5); our checkpoint's come from its own training summary.
"""

from __future__ import annotations

import streamlit as st

from engine.core.safetensors_reader import CheckpointError
from engine.papers import P17_ENSEMBLE, P17_SINGLE_MODEL
from engine.wtq2017.dataset.evaluator import denotation_match
from explorer import escape, real_table_samples, real_tables, state, tables
from explorer.checkpoints import REAL_ID
from explorer.real_table_samples import LESSON_QUESTIONS

TITLE = "8. Plain English on real tables"
ASK_KEY, OPEN_KEY = "real_lesson_ask", "real_lesson_open"  # buttons; the lesson's state: state.WTQ_LESSON_*
ANSWER_BOX = "real_lesson_answer"  # the container of the model's answer (the browser test finds it by this key)

INTRO = (
    "The follow-up paper (Neelakantan, Le, Abadi, McCallum & Amodei, *Learning a Natural Language Interface "
    "with Neural Programmer*, ICLR 2017) took the same idea to questions people wrote about real Wikipedia "
    "tables (WikiTableQuestions). It has 15 operations instead of 9: besides *count*, *select* (rows whose cells "
    "match words of the question), comparisons and *print*, it can move to the row above or below (*prev*, "
    "*next*), keep the *first* or *last* selected row, keep the row with the largest or smallest value "
    "(*argmax*, *argmin*) and pick the most frequent entry (*mfe*). Nobody tells it the program: it learns from "
    "questions and answers alone. The paper reports **{dev}%** on the dev split and **{test}%** on the test "
    "split for one model ({ens}% for an ensemble of 15)."
)


def _checkpoint_sentence() -> str:
    """What our checkpoint gets, from its own summary, with how it was trained and where it was measured."""
    try:
        summary = real_tables.info().get("summary") or {}
    except (CheckpointError, OSError) as e:
        return f"Our 2017 checkpoint cannot be read: {escape.md(e)}."
    dev = summary.get("dev_accuracy")
    if not isinstance(dev, (int, float)):
        return "Our 2017 checkpoint records no dev accuracy."
    return (f"Our shipped checkpoint (preset *{escape.md(summary.get('preset', 'not recorded'))}*, "
            f"{escape.md(summary.get('method', 'method not recorded'))}) gets **{dev:.1%}** on random-split-1-dev "
            f"({summary.get('dev_examples', '?'):,} questions) with the paper's decoding, the most probable "
            f"operation and column at each step; the answers below come from a beam of {real_tables.APP_BEAM} "
            "programs, as everywhere in this app (docs/RESULTS.md measures both). That split also chose the "
            "checkpoint (training kept the step that scored best on it), so these figures are a little "
            "optimistic; the test split is held back and scored independently. The paper's test figure is on that "
            "test split, ours is not."
            + (" Ours also has five operations the paper's lacks: *sum*, *average*, a count of *distinct* values, "
               "the *diff*erence between the largest and smallest selected value, and the *and* of two selections."
               if (summary.get("model_config") or {}).get("ops") == "extended" else ""))


def _ask(index: int) -> None:
    lesson = LESSON_QUESTIONS[index]
    columns, rows = tables.to_engine(tables.load_sample(lesson.sample))
    st.session_state[state.WTQ_LESSON_TRACE] = (index, real_tables.answer(columns, rows, lesson.question))


def _open_in_ask(index: int) -> None:
    ss = st.session_state
    lesson = LESSON_QUESTIONS[index]
    state.load_sample(lesson.sample, with_question=False)
    ss[state.QUESTION] = lesson.question
    ss.pop(state.QUESTION_BOX, None)
    ss[state.CKPT], ss[state.VERSUS] = REAL_ID, None  # the real-tables model, even if the grammar reads it too
    ss[state.VIEW] = "hard"
    ss[state.STEP] = 1
    st.switch_page(state.ASK.path)


def _result(lesson, trace: dict) -> None:
    right = denotation_match(trace["extra"]["denotation"], list(lesson.answer))
    with st.container(border=True, key=ANSWER_BOX):
        verdict = ":green[right]" if right else ":red[wrong]"
        st.markdown(f"Our model's answer: **{escape.md_join(trace['extra']['denotation']) or '(none)'}** — {verdict} "
                    f"(the dataset's answer: **{escape.md_join(lesson.answer)}**)")
        ours, paper = st.columns(2)
        ours.markdown("**Our model's program**\n\n" + "\n".join(f"- {escape.md(w)}" for w in trace["program_text"]))
        steps = (f"- t{t}: {'reset (no operation)' if s == '-' else s}" for t, s in enumerate(lesson.paper_program, 1))
        paper.markdown("**The paper's program** (P17 Table 2, its model was right)\n\n" + "\n".join(steps))
        st.markdown(lesson.note)
        if not right:
            st.caption("Wrong here: the checkpoint learned a program that does not fit this question. Open it in "
                       "Ask to see, step by step, which operation and column it chose and which words it read.")


def render() -> None:
    with st.container(border=True, key="lesson_real_tables"):
        st.markdown(f"**{TITLE}**")
        st.markdown(INTRO.format(dev=P17_SINGLE_MODEL.dev, test=P17_SINGLE_MODEL.test, ens=P17_ENSEMBLE.test))
        if not real_tables.available():
            st.info(f"The lesson needs the 2017 checkpoint, which is not at "
                    f"{escape.md(real_tables.checkpoint_path())} (set NPX_WTQ_CHECKPOINT).")
            return
        st.markdown(_checkpoint_sentence())
        index = st.selectbox("Question", range(len(LESSON_QUESTIONS)), key=state.WTQ_LESSON_PICK,
                             format_func=lambda i: (f"{LESSON_QUESTIONS[i].question}  "
                                                    f"({tables.list_samples()[LESSON_QUESTIONS[i].sample]})"))
        lesson = LESSON_QUESTIONS[index]
        st.caption(real_table_samples.source_markdown(lesson.sample))
        ask, go, _ = st.columns([1, 1, 2])
        ask.button("Ask the 2017 model", key=ASK_KEY, on_click=_ask, args=(index,), type="primary",
                   icon=":material/quiz:", width="content")
        if go.button("Open in Ask", key=OPEN_KEY, icon=":material/arrow_forward:", width="content"):
            _open_in_ask(index)
        done = st.session_state.get(state.WTQ_LESSON_TRACE)
        if done and done[0] == index:
            _result(lesson, done[1])
        with st.expander("The table"):
            st.dataframe(tables.load_sample(lesson.sample), hide_index=True, key="real_lesson_table")
