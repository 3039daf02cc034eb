"""About / Lessons: what the Neural Programmer is, and five guided lessons that load a table, a question
and the view to look at."""

from __future__ import annotations

import streamlit as st

from explorer import state

LESSONS = [
    {
        "title": "1. Count the rows",
        "table": "shop_sales",
        "question": "count",
        "page": state.ASK,
        "text": "The simplest program. Nothing filters, so every row stays selected, and *count* adds up the "
        "row selector. In the **operation × step** heatmap the last step should be *count*; earlier "
        "steps may just *reset* (do nothing) — the model always runs all T steps.",
    },
    {
        "title": "2. Sum with a filter",
        "table": "shop_sales",
        "question": "greater 2015 year sum sales",
        "page": state.STEP_THROUGH,
        "step": 1,
        "text": "Two steps do the work: *greater* on the column **year** keeps the rows after 2015 — the "
        "pivot, "
        "2015, is the number the comparison attends to — then *sum* adds **sales** over the rows still "
        "selected. Step through and compare the table before and after each step.",
    },
    {
        "title": "3. Two filters with and / or",
        "table": "league",
        "question": "greater 60 points and lesser 70 goals count",
        "page": state.STEP_THROUGH,
        "step": 3,
        "text": "*greater* and *lesser* each select rows; *and* keeps the rows both selected "
        "(*or* keeps rows "
        "either selected); *count* counts them. Step 3 shows the *and*: compare its table with the two "
        "steps before it. Then change *and* to *or* on the Ask page and watch the answer change.",
    },
    {
        "title": "4. A lookup (print)",
        "table": "grade_book",
        "question": "lesser 70 exam print score",
        "page": state.ASK,
        "text": "Not every answer is a number. *print* (the paper's *assign*) returns cells: the "
        "**score** of "
        "every student with an exam mark under 70. The answer cells are amber in the table; the "
        "**column × step** heatmap shows the model moving from *exam* (to filter) to *score* (to print).",
    },
    {
        "title": "5. Difference",
        "table": "shop_sales",
        "question": "sum orders diff count",
        "page": state.STEP_THROUGH,
        "step": 4,
        "text": "*difference* subtracts the scalar of the step just before it from the one three steps back, "
        "so the model must schedule *sum* and *count* at the right steps to make the arithmetic "
        "come out. The last step shows the subtraction in words.",
    },
]


def _open(lesson: dict) -> None:
    ss = st.session_state
    state.load_sample(lesson["table"], with_question=False)
    ss[state.QUESTION] = lesson["question"]
    ss.pop(state.QUESTION_BOX, None)
    ss[state.CKPT] = None
    ss[state.VIEW] = "hard"
    ss[state.STEP] = lesson.get("step", 1)
    st.switch_page(lesson["page"].path)


st.title("About the Neural Programmer")
st.markdown("""
The **Neural Programmer** (Neelakantan, Le & Sutskever, *Neural Programmer: Inducing Latent Programs with
Gradient Descent*, ICLR 2016) answers questions about a table by composing a small set of built-in
operations — *sum, count, difference, greater, lesser, and, or, print, reset* — over a fixed number of
steps T. At every step a recurrent network reads the question and the history and chooses **an
operation** and **a column**; comparisons also choose **a number from the question** (the pivot).
During training the choices are *soft* (probability-weighted mixtures of all operations, so gradients
flow); at test time they are *hard* (the single most likely operation and column), which turns the
choices into a discrete program — the **induced program** this app shows. It learns from question and
answer pairs only: nobody tells it the program.

**Reading the views.** *Operation × step* and *column × step* show the choices at each step;
*row selector × step* shows which rows are still selected after each step (the *row selector*, a weight
between 0 and 1 per row); *pivot* shows which question number a comparison uses; *question-word
attention* shows which words the model looks at when it chooses. Use the **soft / hard** switch to see
training-time probabilities or the test-time program.
""")

st.header("Lessons")
st.caption(
    "Each lesson loads a table and a question, picks the best checkpoint for the table, and opens "
    "the view to look at. The explanations say what a well-trained model does; a model that has not "
    "learned the question yet may do something else, which is instructive too."
)
for i, lesson in enumerate(LESSONS):
    with st.container(border=True):
        left, right = st.columns([4, 1], vertical_alignment="center")
        with left:
            st.markdown(f"**{lesson['title']}** — `{lesson['question']}`")
            st.markdown(lesson["text"])
        where = "Ask" if lesson["page"] is state.ASK else f"Step through (step {lesson.get('step', 1)})"
        if right.button(f"Open in {where}", key=f"lesson_{i}"):
            _open(lesson)
