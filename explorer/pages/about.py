"""About / Lessons: what the Neural Programmer is, the two ways it is trained here, and seven guided lessons
that load a table, a question, the checkpoint(s) and the view to look at (lesson 7: the Compare page's scale
demo, opened); lesson 8 (explorer/lesson_real_tables.py) asks the 2017 model real questions on real tables here."""

from __future__ import annotations

import streamlit as st

from explorer import baselines, checkpoints, escape, lesson_real_tables, state
from explorer.components import scale_demo, two_trainings

# names-5 knows `attendance` and `score` (engine.np2016.data.tasks.TRAIN_NAMES); in the grade book they select
# different rows
LESSON_4_QUESTION = "lesser 90 attendance print score"
LESSONS = [
    {"title": "1. Count the rows", "table": "shop_sales", "question": "count", "page": state.ASK,
     "text": "The simplest program. Nothing filters, so every row stays selected, and *count* adds up the row "
             "selector. The shipped checkpoint (names-5, the best match for this table) counts at t1 and again at t4; "
             "at t2 and t3 it runs *reset*, which selects every row again and so changes nothing here. The model "
             "always runs all T steps: the **operation × step** heatmap shows the four."},
    {"title": "2. Sum with a filter", "table": "shop_sales", "question": "greater 2015 year sum sales",
     "page": state.STEP_THROUGH, "step": 1,
     "text": "The shipped checkpoint runs *greater* on the column **year** at t1, t2 and t3 — the same filter "
             "three times, so the same 6 rows, after 2015, stay selected (the pivot, 2015, is the number the "
             "comparison attends to) — then at t4 *sum* adds **sales** over those rows: 1081.1. Step through and "
             "compare the table before and after each step."},
    {"title": "3. Two filters with and / or", "table": "league",
     "question": "greater 60 points and lesser 70 goals count", "page": state.STEP_THROUGH, "step": 3,
     "text": "*lesser* on **goals** (t1) and *greater* on **points** (t2) each select rows; *and* (t3) keeps the "
             "rows both selected; *count* (t4) counts them: 3. Step 3 shows the *and*: compare its table with the "
             "two steps before it. Then change *and* to *or* on the Ask page: the model runs the same steps with "
             "*or* at t3, which keeps the rows either selected, and counts 10."},
    {"title": "4. A lookup (print)", "table": "grade_book", "question": LESSON_4_QUESTION, "page": state.ASK,
     "text": "Not every answer is a number. *print* (the paper's *assign*) returns cells: the **score** of every "
             "student who came to fewer than 90 % of the lessons. The answer cells are amber in the table; the "
             "**column × step** heatmap shows the model filtering on *attendance* and then printing *score*. In "
             "this table the two columns disagree (filtering on *score* would select other students), so a right "
             "answer here means the model really filtered on *attendance*. The names-5 model learned its column "
             "names from a list of 40 header words: *attendance* and *score* are among them, *exam* and *homework* "
             "are not. Ask `lesser 70 exam print score`: it filters on *exam* all the same, found by the column-name "
             "match (one of our additions: the question names the column), and prints *score*."},
    {"title": "5. Difference", "table": "shop_sales", "question": "sum orders diff count", "page": state.STEP_THROUGH,
     "step": 4,
     "text": "*difference* subtracts the scalar of the step just before it from the one three steps back, so the "
             "model must schedule *sum* and *count* at the right steps to make the arithmetic come out. The shipped "
             "checkpoint sums **orders** at t1, resets at t2 and counts the 12 rows at t3; the last step shows the "
             "subtraction in words: 4713 − 12 = 4701."},
    {"title": "6. Why gradient descent gets stuck", "table": "letters_1", "question": "greater 20 and lesser 60 count",
     "page": state.COMPARE, "checkpoints": ("single-column", "paper2016-single-column"),
     "text": "The same network trained two ways answers the same question side by side: on the left with program "
             "search (ours), on the right by gradient descent alone (the paper's method). The correct program takes "
             "four steps — *greater*, *lesser*, *and*, *count* — and the left checkpoint runs it.\n\nThe checkpoint "
             "on the right has not found it: it runs *count* at all four steps and answers 0 (the right answer is "
             "3). It has learned questions with one filter: ask it `greater 20 count` and it runs *greater*, then "
             "*count*, and is right. Training longer seldom helps: gradient descent changes every step a little at "
             "a time, and early on the quickest gains are a *count* or a single filter, which alone already get "
             "many answers close. From then on the *and* that would join two filters has almost no probability "
             "(about 1 % at step 3 here, where it hesitates between *count*, 43 %, and *greater*, 27 %), so what "
             "steps 1 and 2 do hardly changes the answer: nothing pushes them to become two *different* filters. "
             "And as long as they are not, switching step 3 to *and* would not help either. Each step waits for "
             "the other — a deadlock.\n\nProgram search runs whole programs, so it can try *greater; lesser; and; "
             "count* at once, see that it answers right, and learn from it. The Compare page lines the two programs "
             "up step by step and marks, in red, the first step where they part; compare them there, and in the "
             "**operation probabilities × step** heatmaps see how sure each one is at step 3."},
    {"title": "7. Why the LSTM baselines fail on larger numbers", "table": baselines.DEMO_SAMPLE,
     "question": baselines.DEMO_QUESTIONS[0], "page": state.COMPARE, "demo": True,
     "text": "The paper compares the Neural Programmer with two LSTMs that read the table and the question "
             "character by character and *write* the answer digit by digit (a sequence-to-sequence LSTM and one "
             "with attention). They were trained here on one column of 4–7 integers between −10 and 10, the sample "
             "table *baseline_small*. The button opens the **scale demo** on the Compare page: the same question on "
             "that table, then on the table with every cell and every number of the question ×10, ×100 and ×1000, "
             "so the question keeps its meaning and only the numbers grow.\n\nWatch the baselines' columns. At ×1, "
             "numbers like those they were trained on, the attention baseline is right on all four questions of "
             "the demo and the seq2seq one on two (`sum A` and `sum A diff count`); from ×10 on, both are wrong on "
             "every question. They computed the answer inside their weights and have never seen numbers this "
             "large. The Neural Programmer's answer stays right at every scale, because it only *chose* the "
             "operations (for `sum A`: the *sum* of A); the sum itself is computed exactly. Try the other "
             "questions: a *count* (`greater 3 A count`) has the same right answer, 3, at every scale, and still "
             "the baselines' answers change. Every figure in the demo is computed when you open it."},
]


def _open(lesson: dict) -> None:
    ss = st.session_state
    state.load_sample(lesson["table"], with_question=False)
    ss.pop(state.QUESTION_BOX, None)
    ss[state.CKPT], ss[state.VERSUS] = lesson.get("checkpoints", (None, None))
    ss[two_trainings.VERSUS_AUTO] = None  # the lesson's pair stays as it is
    ss.update({state.QUESTION: lesson["question"], scale_demo.DEMO_OPEN: bool(lesson.get("demo")), state.VIEW: "hard",
               state.STEP: lesson.get("step", 1)})
    if lesson.get("demo"):
        ss[scale_demo.QUESTION_PICK] = lesson["question"]
    st.switch_page(lesson["page"].path)


st.title("About the Neural Programmer")
st.markdown("""
The **Neural Programmer** (Neelakantan, Le & Sutskever, *Neural Programmer: Inducing Latent Programs with
Gradient Descent*, ICLR 2016) answers questions about a table by composing a small set of built-in
operations — *sum, count, difference, greater, lesser, and, or, print, reset* — over a fixed number of
steps T. At every step a recurrent network reads the question and the history and chooses **an
operation** and **a column**; comparisons also choose **a number from the question** (the pivot).
At test time the choices are *hard* (the single most likely operation and column), which turns them into
a discrete program — the **induced program** this app shows. It learns from question and answer pairs
only: nobody tells it the program. This app trains it in two ways (the **Train** page offers both, as
*presets*; each checkpoint records its own, and the checkpoint pickers say it in words):

- **The paper's method** (preset *paper2016*): gradient descent through *soft* execution. During training
  every step runs every operation on every column at once and mixes the results by their probabilities,
  so the answer changes smoothly with the weights and gradient descent can improve them a little at a
  time. It learns the one-filter questions, but it usually gets stuck on two filters joined by *and* /
  *or* and on *difference* (lesson 6 shows why).
- **Ours** (preset *default*, the shipped checkpoints unless their name says *paper2016*): the same soft
  execution and loss, plus a **program search**: the model also samples whole programs, runs them
  exactly, and learns from the ones that give the right answer; those are remembered for questions
  worded alike and tried again on new tables. A **column-name match** lets it find the column a
  question names. Each addition is one switch on the Train page.

How much each addition matters, setting by setting, is measured in the ablation table of
`docs/RESULTS.md`; `checkpoints/README.md` says how each shipped checkpoint was trained.

**Reading the views.** *Operation × step* and *column × step* show the choices at each step;
*row selector × step* shows which rows are still selected after each step (the *row selector*, a weight
between 0 and 1 per row); *pivot* shows which question number a comparison uses; *question-word
attention* shows which words the model looks at when it chooses. Use the **soft / hard** switch to see
training-time probabilities or the test-time program.
""")

with st.expander("How each shipped checkpoint was trained"):
    shipped = [e for e in checkpoints.list_checkpoints() if not e.trained and not e.error]
    st.markdown("\n".join(
        f"- **{escape.md(e.id)}** ({escape.md(e.task)}): "
        + escape.md(checkpoints.METHODS.get(e.method, "training method not recorded"))
        + (f", test accuracy {e.accuracy:.1%}" if e.accuracy is not None else "")
        for e in shipped) or "No shipped checkpoints were found.")

st.header("Lessons")
st.caption("Each lesson loads a table and a question, picks the best checkpoint for the table (lesson 6: the two "
           "checkpoints it compares; lesson 7: the baselines too), and opens the view to look at (lesson 8 asks the "
           "real-tables model here first). The explanations say what the shipped checkpoints do; a model you trained "
           "yourself may do something else, which is instructive too.")


def button_label(lesson: dict) -> str:
    """Where the lesson's button goes, in a few words (the button sits under the text, at its own width)."""
    if lesson.get("demo"):
        return "Open the scale demo in Compare"
    return {state.ASK: "Open in Ask", state.COMPARE: "Open in Compare"}.get(
        lesson["page"], f"Open in Step through, step {lesson.get('step', 1)}")


def _measured_sentence() -> str:
    """The baselines' measured accuracies, from docs/baselines.json with the command that wrote it."""
    m = baselines.measured_accuracy()
    if m is None:
        return ""
    figures = "; ".join(f"{escape.md(name)} {a10:.2%} → {a50:.2%}" for name, a10, a50 in m["rows"])
    return (f"\n\nExact-match accuracy measured on {m['test_size']:,} fresh questions per range, numbers in "
            f"[−10, 10] (the training range) → [−50, 50]: {figures} (`{baselines.code_span(m['command'])}`, "
            "docs/baselines.json).")


for i, lesson in enumerate(LESSONS):
    with st.container(border=True):
        st.markdown(f"**{lesson['title']}** — `{lesson['question']}`")
        st.markdown(lesson["text"] + (_measured_sentence() if lesson.get("demo") else ""))
        if st.button(button_label(lesson), key=f"lesson_{i}", icon=":material/arrow_forward:", width="content"):
            _open(lesson)

lesson_real_tables.render()  # lesson 8: asks the 2017 model on this page, then opens Ask if you like
