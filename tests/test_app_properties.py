"""Property tests of the app through AppTest: whatever a link, a question or an upload holds — hostile HTML,
markdown links and images, spreadsheet formulas, unicode digits, junk — no page raises, nothing is
rendered as markup, and a refused upload keeps the user's table. A custom-set example (a JSONL upload on the
Train page, or Teach on the Ask page) reaches every place that shows it as text: the Train page's custom-set
table and, once a fine-tuning starts, its progress panel (the probe question is the set's first example).

About 280 generated cases (each one to four script runs of 0.3–1 s; a custom-set case also trains for two
steps); `NPX_APP_EXAMPLES=<factor>` scales them.
"""

from __future__ import annotations

import io
import json
import os
import re
from pathlib import Path

import pandas as pd
import pytest
import streamlit
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from explorer import state, tables, training
from explorer.components import teach
from tests.ui.helpers import (
    PRINT_MODEL,
    ask,
    editor_key,
    make_print_model,
    make_sum_model,
    markup_problems,
    new_app,
    page,
    texts,
    visible,
)

SCALE = float(os.environ.get("NPX_APP_EXAMPLES", "1"))
TOKEN = "0123456789abcdef0123456789abcdef"
HOSTILE = [
    "<iframe srcdoc=\"<script>parent.document.title='X'</script>\"></iframe>",
    '<img src=x onerror="window.npxPwned=1">',
    '<div style="position:fixed;inset:0;z-index:99999">x</div>',
    '<a href="http://evil.example">h</a>',
    "[free marks](http://evil.example/login)",
    "![t](http://evil.example/p.png)",
    "<http://evil.example>",
    "www.evil.example",
    "=cmd|' /C calc'!A0",
    "+1+2",
    "@SUM(A1)",
    "**bold** _it_ `code` ~~s~~",
    ":red[red] :material/home: :smile:",
    "$x^2$",
    "# heading",
    "> quote",
    "1. list",
    "a | b\n---|---",
    "\\<b\\>",
    "&lt;b&gt;",
    "²",
    "١٢",
    "１",
]
WORDS = ["print", "sum", "count", "greater", "lesser", "and", "or", "A", "B", "sales", "5", "-3", "1e3", "word:3"]

piece = st.one_of(
    st.sampled_from(HOSTILE),
    st.text(st.characters(codec="utf-8", exclude_categories=["Cs", "Cc"]), min_size=1, max_size=12),
)
cell = st.one_of(piece, st.floats(-1e6, 1e6, allow_nan=False).map(lambda x: round(x, 2)), st.none())


@st.composite
def hostile_tables(draw) -> pd.DataFrame:
    names = draw(st.lists(piece.map(lambda s: " ".join(s.split())[:40]).filter(bool), min_size=1, max_size=4,
                          unique=True))
    n = draw(st.integers(1, 5))
    columns = {name: draw(st.lists(cell, min_size=n, max_size=n)) for name in names}
    return tables.normalize(pd.DataFrame(columns, dtype=object))


def packed(df: pd.DataFrame) -> str:
    return tables.to_url_param(df) or "too-large"


url_params = st.fixed_dictionaries(
    {},
    optional={
        "data": st.one_of(hostile_tables().map(packed), piece),
        "table": st.one_of(st.sampled_from(["letters_1", "text_2", "league"]), piece),
        "q": st.one_of(st.lists(st.one_of(st.sampled_from(WORDS), piece), max_size=6).map(" ".join),
                       st.just("sum sales " * 250)),
        "step": st.one_of(st.text("0123456789²³¹١٢３ -.+", max_size=4), st.integers(-3, 40).map(str)),
        "view": st.one_of(st.sampled_from(["hard", "soft"]), piece),
        "ckpt": st.one_of(st.sampled_from([PRINT_MODEL, "names-5", "trained/x", "../../etc/passwd"]), piece),
        "run": st.one_of(st.just(TOKEN), st.just(TOKEN.upper()), st.text("0123456789abcdefg", max_size=33),
                         piece),
    },
)
questions = st.lists(st.one_of(st.sampled_from(WORDS), piece), min_size=1, max_size=8).map(" ".join)


def _examples(n: int) -> int:
    return max(1, round(n * SCALE))


def _settings(n: int):
    return settings(max_examples=_examples(n), deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@pytest.fixture(scope="module", autouse=True)
def app_env(tmp_path_factory):
    """Tiny checkpoints (a sum model and a model that prints the named column); no baselines; own runs dir."""
    d: Path = tmp_path_factory.mktemp("app-properties")
    make_sum_model(d / "ckpt" / "names-5.safetensors")
    make_print_model(d / "ckpt" / f"{PRINT_MODEL}.safetensors")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("NPX_CHECKPOINT_DIRS", str(d / "ckpt"))
        mp.setenv("NPX_RUNS_DIR", str(d / "runs"))
        mp.setenv("NPX_BASELINE_DIR", str(d / "no-baselines"))
        streamlit.cache_data.clear()
        streamlit.cache_resource.clear()
        yield
    streamlit.cache_data.clear()
    streamlit.cache_resource.clear()


def check(at, where: str) -> None:
    assert not at.exception, (where, at.exception)
    problems = markup_problems(at)
    assert not problems, (where, problems)


@_settings(110)
@given(params=url_params, target=st.sampled_from(["ask", "ask", "step", "compare", "train"]))
def test_any_link_opens_without_error_or_markup(params, target):
    at = new_app(params)
    check(at, "ask")
    assert isinstance(at.session_state[state.STEP], int) and 1 <= at.session_state[state.STEP] <= state.STEP_MAX
    assert at.session_state[state.VIEW] in ("hard", "soft")
    if target != "ask":
        check(page(at, target), target)


@pytest.fixture(scope="module")
def hostile_app():
    """One session on a hostile table (every cell and name a payload), answering with the print model."""
    columns = {"A": HOSTILE[:6], "B": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0], HOSTILE[3]: HOSTILE[6:12],
               HOSTILE[4][:40]: HOSTILE[12:18]}
    df = tables.normalize(pd.DataFrame(columns, dtype=object))
    at = new_app({"data": packed(df), "q": "print A", "ckpt": PRINT_MODEL})
    check(at, "hostile table")
    return at


@_settings(100)
@given(question=questions)
def test_any_question_is_answered_or_explained_without_markup(hostile_app, question):
    check(ask(hostile_app, question), question)


def _csv(df: pd.DataFrame) -> bytes:
    out = io.StringIO()
    df.to_csv(out, index=False)
    return out.getvalue().encode()


uploads = st.one_of(
    hostile_tables().map(_csv),
    st.lists(st.lists(piece, max_size=4).map(",".join), max_size=5).map(lambda lines: "\n".join(lines).encode()),
    st.binary(max_size=200),
    st.sampled_from([b"", b"a,b\n", b"a,b\n1,2,3\n", b"\x00PK\x03\x04" * 40, b"a\n" + b"1\n" * 600]),
)


@pytest.fixture(scope="module")
def upload_app():
    return new_app()


@_settings(50)
@given(raw=uploads, name=piece)
def test_any_upload_is_loaded_or_refused_keeping_the_table(upload_app, raw, name):
    at = upload_app
    at.session_state[editor_key(at)] = {"edited_rows": {0: {at.session_state[state.TABLE].columns[0]: None}},
                                       "added_rows": [], "deleted_rows": []}
    at.run()
    before = at.session_state[state.TABLE].copy()
    at.file_uploader(key=state.CSV_UPLOAD).set_value((f"{name}.csv", raw, "text/csv")).run()
    check(at, "upload")
    after = at.session_state[state.TABLE]
    if at.session_state.get(state.UPLOAD_ERROR):
        assert after.equals(before), "a refused upload changed the table"
        assert "unchanged" in texts(at.error)
    else:
        assert len(after) > 0 and at.session_state[state.TABLE_SOURCE]["kind"] == "upload"


# ----------------------------------------------------------------------------- the custom set on the Train page

BASE = "names-5"  # the sum model of app_env: every fine-tuning here starts from it
# the progress charts' own markup around their settings line (progress_panel._layout; the settings escaped)
OWN_TITLE_MARKUP = re.compile(r"<br><span style='font-size:11px'>|</span>")


def check_train(at, where: str) -> None:
    """check(), less the progress charts' own title markup (no user text is in those titles)."""
    assert not at.exception, (where, at.exception)
    problems = [p for p in markup_problems(at)
                if not (p.startswith("plotly layout: ") and "<" not in OWN_TITLE_MARKUP.sub("", p))]
    assert not problems, (where, problems)


def as_shown(text: str) -> str:
    """A user string as escape.md shows it: on one line."""
    return re.sub(r"[\r\n\u2028\u2029]+", " ", text)


@st.composite
def custom_examples(draw) -> dict:
    """One JSONL example whose question, column names and text cells are hostile; the first column holds
    numbers, so the sum model can fine-tune on it."""
    names = draw(st.lists(piece.map(lambda s: " ".join(s.split())[:40]).filter(bool), min_size=1, max_size=3,
                          unique_by=str.lower))
    n = draw(st.integers(1, 4))
    numbers = draw(st.lists(st.floats(-1e6, 1e6, allow_nan=False).map(lambda x: round(x, 2)), min_size=n,
                            max_size=n))
    rows = [[x] + [draw(cell) for _ in names[1:]] for x in numbers]
    return {"columns": names, "rows": rows, "question": draw(questions), "answer": {"scalar": 1.0}}


@pytest.fixture(scope="module")
def train_app():
    """One session on the Train page, the task: the custom set, fine-tuning the sum model."""
    at = page(new_app({"ckpt": BASE}), "train")
    at.selectbox(key=state.TRAIN_TASK).set_value("custom").run()
    at.selectbox(key=state.TRAIN_BASE).set_value(BASE).run()
    check_train(at, "train page")
    yield at
    training.stop(at.session_state[state.RUN_OWNER])


def _upload(at, example: dict):
    """The example as a JSONL file on the Train page (its uploader is in the custom-set panel)."""
    at.session_state[state.CUSTOM] = []
    at = page(at, "train")  # (an earlier case may have left the session on the Ask page)
    raw = (json.dumps(example) + "\n").encode()
    return at.file_uploader(key=state.CUSTOM_UPLOAD).set_value(("custom.jsonl", raw, "application/json")).run()


def _teach(at, question: str):
    """The question asked on the Ask page and taught (right answer: a number) into an empty custom set, then
    the Train page opened from Teach. None when the model gave no answer (so there is nothing to teach)."""
    at.session_state[state.CUSTOM] = []
    at = ask(page(at, "ask"), question)
    check(at, f"ask {question!r}")
    if not at.button(key="teach_add"):
        return None
    at.radio(key=state.TEACH_KIND).set_value("a number")
    at.number_input(key=state.TEACH_NUMBER).set_value(1.0)
    at = at.button(key="teach_add").click().run()
    check(at, "teach")
    at.button(key=teach.GO_TRAIN).click().run()
    assert at.session_state[state.TRAIN_TASK] == "custom"
    return page(at, "train")  # AppTest's next run would draw the page it last opened, not the switched-to one


def _fine_tune(at):
    """Start (the custom set, two steps, no fresh test questions) and wait for the run; the page drawn again
    once it has ended. The settings are set each time: a visit to the Ask page resets them (not drawn there)."""
    at.number_input(key="hp_steps").set_value(2)
    at.number_input(key="hp_eval_every").set_value(2)
    at.number_input(key="hp_test_size").set_value(0)
    at.button(key="train_start").click().run()
    check_train(at, "start")
    assert not at.session_state[state.TRAIN_ERROR], at.session_state[state.TRAIN_ERROR]
    job = training.find(at.session_state[state.RUN_OWNER])
    job.thread.join(timeout=120)
    assert not job.running, "the two-step fine-tuning did not end"
    return job, at.run()


def _shows_custom_question(at, question: str) -> None:
    """The custom-set table lists the question, exactly as given (a table cell, never markdown)."""
    with_question = [df for df in (d.value for d in at.dataframe) if "question" in df.columns]
    assert with_question and list(with_question[0]["question"]) == [question], [d.value for d in at.dataframe]


def _shows_probe_question(at, job, question: str) -> None:
    """The progress panel names the probe question as text (a two-step run has its step-1 weights)."""
    assert job.error is None and job.progress.probe_state is not None, (job.error, job.summary)
    heading = [visible(m.value) for m in at.markdown if "Probe question" in m.value]
    assert len(heading) == 1, texts(at.markdown)
    assert as_shown(question) in heading[0], (question, heading[0])


@_settings(24)
@given(example=custom_examples(), via=st.sampled_from(["upload", "upload", "teach"]))
def test_a_custom_set_question_reaches_the_train_page_as_text(train_app, example, via):
    """Before: the probe question was drawn inside a markdown code span, so a backtick ended it and the rest
    loaded an image, made a link or turned red (issue 19, item 5)."""
    at = train_app
    if via == "teach":
        asked = "sum sales " + example["question"]  # words the sum model reads, so there is an answer
        at = _teach(at, asked)
        if at is None:
            return
        question = " ".join(asked.split())  # as the question box keeps it
    else:
        question = example["question"]
        at = _upload(at, example)
    check_train(at, f"custom set via {via}")
    if not at.session_state[state.CUSTOM]:  # a refused file: the engine's reason, as text
        assert via == "upload" and at.error, "the upload was neither added nor refused"
        return
    _shows_custom_question(at, question)
    job, at = _fine_tune(at)
    check_train(at, f"fine-tuning on {question!r}")
    _shows_custom_question(at, question)
    _shows_probe_question(at, job, question)
