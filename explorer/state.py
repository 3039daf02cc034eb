"""Session state: every key and its default, the pages, the URL (query parameters) and table loading.

One copy of everything a user sees per browser session, so tabs never see each other's work. The URL carries
enough to reproduce the view; a link is user input, so `URL_PARAMS` checks each parameter before it is used.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import Any

import pandas as pd
import streamlit as st

from engine.core.limits import QUESTION_MAX_CHARS
from engine.np2016.config import ModelConfig
from explorer import escape, example_questions, guesses, real_table_samples, tables
from explorer.jobs import OWNER_TOKEN, new_owner, valid_owner

# ----------------------------------------------------------------------------- the app's own state
TABLE = "table"  # the current table (DataFrame), edits included
TABLE_BASE = "table_base"  # what the data editor was last given (base-table + version-key pattern)
TABLE_VER = "table_ver"
TABLE_SOURCE = "table_source"  # {"kind": sample|upload|blank|example|link, "id": sample id, "label": str}
TABLE_EDITED = "table_edited"  # the table differs from its source
QUESTION = "question"  # the question asked (the text box may hold a newer draft)
CKPT = "ckpt_id"  # None: the best match for the table; else an id of explorer/checkpoints.py, of either family
VERSUS = "versus_ckpt"  # the Compare page's second checkpoint (two trainings side by side); None: baselines
VIEW = "view"  # "hard" (test time) or "soft" (training time)
FOCUS = "focus"  # {"step": t, "row": r or None} picked by clicking a heatmap
STEP = "step_t"  # the Step through page's timestep
CUSTOM = "custom_set"  # the Teach set: examples in the JSONL form
RUN_OWNER = "run_owner"  # the owner token of this browser's jobs (also the Train page's `run` parameter)
RUN_PARAM = "run"
FLASH = "flash"  # plain-text messages to show once on the next page drawn: [(kind, text)]
URL_READ = "url_read"
UPLOAD_ERROR = "upload_error"  # (why the last upload was refused, the table it was refused on) or None
UPLOAD_SEEN = "csv_upload_seen"  # the id of the last uploaded file acted on (loaded or refused)
EDITOR_TEXT = "editor_text"  # (editor key, the base table as text): the data editor's input
QUESTION_CUT = "question_cut"  # the question box was cut to QUESTION_MAX_CHARS: how long the text was
COLUMN_ERROR = "column_error"  # why the last column edit was refused
HEATMAP_SEEN = "hm_seen"  # heatmap key -> the last click seen, so a click is acted on once

# ----------------------------------------------------------------------------- widgets whose state is read
# (a button's key only names the button; the Train page's widgets are named in explorer/pages/train.py)
QUESTION_BOX = "question_box"
SAMPLE_PICK = "sample_pick"
CSV_UPLOAD = "csv_upload"
EDITOR_PREFIX = "editor_"  # + TABLE_VER: the data editor of the current base table
CKPT_PICK = "ckpt_pick"
VERSUS_PICK, COMPARE_MODE_PICK = "versus_pick", "compare_mode_pick"
EXAMPLE_PICK = "example_pick"
EXAMPLE_PICK_PLAIN = "example_pick_plain"  # the plain-English examples (the real-tables model answers them)
FOCUS_PICK = "focus_pick"
VIEW_PICK = "view_pick"
STEP_SLIDER = "step_slider"
STEP_VIEW = "step_view"
COL_PICK, COL_NEW_NAME, COL_ADD_NAME, COL_ADD_KIND = "col_pick", "col_new_name", "col_add_name", "col_add_kind"
TEACH_KIND, TEACH_NUMBER, TEACH_COLUMN, TEACH_ROWS = "teach_kind", "teach_number", "teach_column", "teach_rows"
TEACH_FOR = "teach_for"  # the question the Teach widgets were filled in for
TEACH_MSG = "teach_msg"  # (kind, text) of the last Add, shown once
PROG_CKPT, PROG_TASK, PROG_TASK_FOR = "prog_ckpt", "prog_task", "prog_task_for"
PROG_N, PROG_SEED, PROG_ERRORS, PROG_EXAMPLE = "prog_n", "prog_seed", "prog_errors", "prog_example"
PROG_EXAMPLES_PAGE = "prog_examples_page"  # which page of examples the picker shows (0-based)
PROG_ERROR, PROG_STARTED = "prog_error", "prog_started"  # why a start was refused; an evaluation was started

# the real-tables (2017) pages: lesson 8 (explorer/lesson_real_tables.py) and the Programs page's real-tables view
# (explorer/dev_questions.py); on Ask and Step through a 2017 checkpoint is picked as any other (CKPT)
WTQ_LESSON_PICK = "real_lesson_pick"  # the lesson's question
WTQ_LESSON_TRACE = "real_lesson_trace"  # (question index, the 2017 model's trace) of the last one asked
WTQ_PROG_LIMIT, WTQ_PROG_WRONG = "real_prog_limit", "real_prog_wrong"  # how many dev questions; only wrong ones
WTQ_PROG_SHAPE, WTQ_PROG_EXAMPLE = "real_prog_shape", "real_prog_example"  # the program shape; its question shown
WTQ_PROG_RESULT = "real_prog_result"  # the last evaluation on the dev questions (explorer/dev_questions.py)

# Train page (its hyper-parameter widgets are keyed hp_<field> by explorer/components/train_settings.py)
TRAIN_TASK, TRAIN_BASE, TRAIN_ERROR = "train_task", "train_base", "train_error"
CUSTOM_UPLOAD, CUSTOM_UPLOAD_SEEN = "custom_upload", "custom_upload_seen"

# copied into every new session by init_state; TABLE (with TABLE_BASE) and QUESTION come from the URL or
# the default sample and its question
DEFAULTS: dict[str, Any] = {
    TABLE_VER: 0,
    TABLE_SOURCE: None,
    TABLE_EDITED: False,
    CKPT: None,
    VERSUS: None,
    VIEW: "hard",
    FOCUS: None,
    STEP: 1,
    CUSTOM: [],
    RUN_OWNER: None,
    FLASH: [],
    UPLOAD_ERROR: None,
    QUESTION_CUT: None,
    COLUMN_ERROR: None,
    HEATMAP_SEEN: {},
}


@dataclass(frozen=True)
class Page:
    name: str  # the file stem and the URL path
    title: str
    icon: str  # a material icon name

    @property
    def path(self) -> str:
        return f"explorer/pages/{self.name}.py"


ASK, STEP_THROUGH, TRAIN, SWEEPS, PROGRAMS_PAGE, COMPARE, ABOUT, WORKSHEET = PAGES = (
    Page("ask", "Ask", "quiz"),
    Page("step", "Step through", "play_circle"),
    Page("train", "Train", "model_training"),
    Page("sweeps", "Sweeps", "stacked_line_chart"),
    Page("programs", "Programs", "account_tree"),
    Page("compare", "Compare", "compare"),
    Page("about", "About / Lessons", "school"),
    Page("worksheet", "Worksheet", "assignment"),
)

DEFAULT_SAMPLE = "shop_sales"
SAMPLE_QUESTIONS = {s: question for s, (_, question) in tables.SAMPLES.items()}
STEP_MAX = int(next(f.metadata["hi"] for f in fields(ModelConfig) if f.name == "T"))  # the largest T
URL_DATA_MAX_CHARS = 12_000  # a packed table in a link (the app writes at most tables.MAX_URL_TABLE_CHARS)
CKPT_ID = re.compile(r"(trained/)?[A-Za-z0-9_.-]{1,100}")
STEP_DIGITS = re.compile(r"[0-9]{1,3}")  # ASCII only: str.isdigit also accepts '²'


def _question(text: str) -> str:
    if len(text) > QUESTION_MAX_CHARS:
        raise ValueError(f"it has {len(text)} characters; the limit is {QUESTION_MAX_CHARS}")
    return " ".join(text.split())


def _matching(pattern: re.Pattern | str, why: str) -> Callable[[str], str]:
    def parse(text: str) -> str:
        if not re.fullmatch(pattern, text):
            raise ValueError(why)
        return text

    return parse


def _step(text: str) -> int:
    if not STEP_DIGITS.fullmatch(text) or not 1 <= int(text) <= STEP_MAX:
        raise ValueError(f"it is not a step number from 1 to {STEP_MAX}")
    return int(text)


@dataclass(frozen=True)
class UrlParam:
    """A query parameter that restores one session key; `parse` raises ValueError saying why not."""

    name: str
    key: str
    parse: Callable[[str], Any]


URL_PARAMS = (
    UrlParam("q", QUESTION, _question),
    UrlParam("ckpt", CKPT, _matching(CKPT_ID, "it is not a checkpoint name")),
    UrlParam("vs", VERSUS, _matching(CKPT_ID, "it is not a checkpoint name")),
    UrlParam("view", VIEW, _matching("hard|soft", "it is neither 'hard' nor 'soft'")),
    UrlParam("step", STEP, _step),
    UrlParam(RUN_PARAM, RUN_OWNER, _matching(OWNER_TOKEN, "it is not a run token (32 lowercase hex digits)")),
)


def init_state() -> None:
    """Set every key once per session; the first run of a session reads the URL."""
    ss = st.session_state
    for key, default in DEFAULTS.items():
        if key not in ss:
            ss[key] = copy.deepcopy(default)
    if not ss.get(URL_READ):
        ss[URL_READ] = True
        _read_url()
    if TABLE not in ss:
        load_sample(DEFAULT_SAMPLE, with_question=QUESTION not in ss)
    ss.setdefault(QUESTION, "")


def _read_url() -> None:
    qp = st.query_params
    _read_url_table(qp.get("data"), qp.get("table"))
    for param in URL_PARAMS:
        try:
            if (text := qp.get(param.name)) is not None:
                st.session_state[param.key] = param.parse(text)
        except ValueError as e:
            flash("warning", f"The link's {param.name} parameter was left out: {e}.")


def _read_url_table(data: str | None, sample: str | None) -> None:
    try:
        if data:
            if len(data) > URL_DATA_MAX_CHARS:
                raise tables.TableError(f"it has {len(data)} characters; the limit is {URL_DATA_MAX_CHARS}")
            set_table(tables.from_url_param(data), {"kind": "link", "id": None, "label": "table from the link"})
            st.session_state[TABLE_EDITED] = True
        elif sample:
            load_sample(sample, with_question=False)
    except tables.TableError as e:
        flash("warning", f"The link's table could not be loaded ({e}); showing a sample table instead.")


def run_owner() -> str:
    """This browser's owner token (of its training run, small sweep and evaluation), made on first use; the
    Train page's address carries it (sync_url(run=True)), so a reload finds the jobs again."""
    ss = st.session_state
    if not valid_owner(ss.get(RUN_OWNER)):
        ss[RUN_OWNER] = new_owner()
    return ss[RUN_OWNER]


def sync_url(step: int | None = None, run: bool = False, versus: bool = False) -> None:
    """Write the current table, question, checkpoint and view into the URL (only when it changed).

    versus: also the Compare page's second checkpoint (the Compare page only: it opens the page's side by
    side view). run: also the training run's owner token (the Train page only). Addresses of the other
    pages are the ones people share with a class, and whoever holds the token can stop the run; the token
    stays in the session on every page, so the run's heartbeat goes on there."""
    ss = st.session_state
    src = ss.get(TABLE_SOURCE) or {}
    sample = src.get("kind") == "sample" and not ss.get(TABLE_EDITED)  # a sample is named, else the table packed
    values = {"table": sample and src["id"], "data": not sample and tables.to_url_param(ss[TABLE]),
              "q": ss.get(QUESTION), "ckpt": ss.get(CKPT), "view": "soft" if ss.get(VIEW) == "soft" else None,
              "vs": versus and ss.get(VERSUS), "step": None if step is None else str(step),
              RUN_PARAM: run and ss.get(RUN_OWNER)}
    want = {name: value for name, value in values.items() if value}  # the parameters that are set, in this order
    if st.query_params.to_dict() != want:
        st.query_params.from_dict(want)


def editor_key() -> str:
    return f"{EDITOR_PREFIX}{st.session_state[TABLE_VER]}"


def set_table(df: pd.DataFrame, source: dict | None = None) -> None:
    """Replace the table (and the editor's input, under a new key so the editor starts clean). An uploaded table
    keeps the question only if it can be asked of it (a sample, an example and a link bring their own question; a
    blank table starts with none)."""
    ss = st.session_state
    if source is not None and source["kind"] == "upload" and TABLE in ss:
        _fit_question(ss[TABLE], df)
    ss[TABLE] = ss[TABLE_BASE] = df
    ss[TABLE_VER] = ss.get(TABLE_VER, 0) + 1
    ss[FOCUS] = None
    ss[UPLOAD_ERROR] = None  # a new table, or new columns: an earlier upload's refusal no longer applies
    if source is not None:
        ss[TABLE_SOURCE] = source
        ss[TABLE_EDITED] = False


def _fit_question(old: pd.DataFrame, new: pd.DataFrame) -> None:
    """Replace the question by the new table's first example question when it names a column of the old table
    that the new one lacks: no model can answer it there, and the box would go on asking it of every table."""
    ss = st.session_state
    old_names = [str(c) for c in old.columns]
    said = {old_names[j] for j in guesses.named_columns(ss.get(QUESTION) or "", old_names)}
    if not said - {str(c) for c in new.columns}:
        return
    columns, rows = tables.to_engine(new)
    kinds = ["numeric" if tables.is_numeric(new, c) else "text" for c in new.columns]
    ss[QUESTION] = (example_questions.plain_examples(columns, rows, kinds) or ["count"])[0]
    ss.pop(QUESTION_BOX, None)  # the box is filled from the question when next drawn


def load_sample(sample_id: str, with_question: bool = True) -> None:
    set_table(tables.load_sample(sample_id), {"kind": "sample", "id": sample_id,
                                              "label": tables.list_samples()[sample_id]})
    if with_question:
        st.session_state[QUESTION] = sample_question(sample_id)


def sample_question(sample_id: str) -> str:
    """The question a sample table opens with: a WikiTableQuestions table's first plain-English one."""
    return SAMPLE_QUESTIONS.get(sample_id) or (real_table_samples.suggested_questions(sample_id) or ["count"])[0]


def load_example(example: dict, ckpt_id: str | None, label: str) -> None:
    """Put a generated test example (JSONL form) into the session: its table, question and checkpoint."""
    df = tables.normalize(pd.DataFrame(example["rows"], columns=example["columns"], dtype=object))
    set_table(df, {"kind": "example", "id": None, "label": label})
    st.session_state[QUESTION] = example["question"]
    st.session_state[CKPT] = ckpt_id


def flash(kind: str, text: str) -> None:
    """Show `text` (plain text: it is escaped when drawn) once, on the next page drawn."""
    st.session_state.setdefault(FLASH, []).append((kind, text))


def show_flash() -> None:
    for kind, text in st.session_state.get(FLASH, []):
        getattr(st, kind)(escape.md(text))
    st.session_state[FLASH] = []
