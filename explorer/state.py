"""Session state: the key names, their defaults, the URL (query parameters) and table loading.

Everything a user sees (table, question, checkpoint, view) lives under these non-widget keys, one
copy per browser session, so tabs never see each other's work. The URL carries the sample table
(or a small edited table), the question, the checkpoint and the step, so a link reproduces the view.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from explorer import tables

TABLE = "table"  # the current table (DataFrame), edits included
TABLE_BASE = "table_base"  # what the data editor was last given (base-table + version-key pattern)
TABLE_VER = "table_ver"
TABLE_SOURCE = "table_source"  # {"kind": sample|upload|blank|example|link, "id": sample id, "label": str}
TABLE_EDITED = "table_edited"  # the table differs from its source
QUESTION = "question"  # the question asked (the text box may hold a newer draft)
CKPT = "ckpt_id"  # None: the best match for the table
VIEW = "view"  # "hard" (test time) or "soft" (training time)
FOCUS = "focus"  # {"step": t, "row": r or None} picked by clicking a heatmap
STEP = "step_t"  # the Step through page's timestep
CUSTOM = "custom_set"  # the Teach set: examples in the JSONL form
JOB = "train_job"
RUN_OWNER = "run_owner"  # the owner token of this browser's training run (also the URL's `run` parameter)
RUN_PARAM = "run"
PROGRAMS = "programs_result"
FLASH = "flash"  # messages to show once on the next page drawn: [(kind, text)]
URL_READ = "url_read"

DEFAULT_SAMPLE = "shop_sales"
SAMPLE_QUESTIONS = {
    "shop_sales": "greater 2015 year sum sales",
    "countries": "greater 40 population count",
    "league": "greater 60 points sum goals",
    "grade_book": "lesser 70 exam print score",
    "letters_1": "greater 20 A sum A",
    "letters_3": "greater 20 A and lesser 30 B count",
    "letters_5": "lesser 10 C print E",
    "text_2": "word:3 A sum B",
    "text_5": "word:2 B sum C",
    "baseline_small": "greater 0 A sum A",
}


def init_state() -> None:
    """Set every key once per session; the first run of a session reads the URL."""
    ss = st.session_state
    ss.setdefault(TABLE_VER, 0)
    ss.setdefault(CKPT, None)
    ss.setdefault(VIEW, "hard")
    ss.setdefault(FOCUS, None)
    ss.setdefault(STEP, 1)
    ss.setdefault(CUSTOM, [])
    ss.setdefault(FLASH, [])
    if not ss.get(URL_READ):
        ss[URL_READ] = True
        _read_url()
    if TABLE not in ss:
        load_sample(DEFAULT_SAMPLE, with_question=QUESTION not in ss)
    ss.setdefault(QUESTION, "")


def _read_url() -> None:
    qp = st.query_params
    try:
        if qp.get("data"):
            set_table(
                tables.from_url_param(qp["data"]),
                {"kind": "link", "id": qp.get("table"), "label": "table from the link"},
            )
            st.session_state[TABLE_EDITED] = True
        elif qp.get("table"):
            load_sample(qp["table"], with_question=False)
    except tables.TableError as e:
        flash("warning", f"The link's table could not be loaded ({e}); showing a sample table instead.")
    if "q" in qp:
        st.session_state[QUESTION] = qp["q"][:500]
    if qp.get("ckpt"):
        st.session_state[CKPT] = qp["ckpt"]
    if qp.get("view") in ("hard", "soft"):
        st.session_state[VIEW] = qp["view"]
    if qp.get("step", "").isdigit():
        st.session_state[STEP] = int(qp["step"])


def sync_url(step: int | None = None) -> None:
    """Write the current table, question, checkpoint and view into the URL (only what changed)."""
    ss = st.session_state
    src = ss.get(TABLE_SOURCE) or {}
    want = {}
    if src.get("kind") == "sample" and not ss.get(TABLE_EDITED):
        want["table"] = src["id"]
    else:
        packed = tables.to_url_param(ss[TABLE])
        if packed:
            want["data"] = packed
    if ss.get(QUESTION):
        want["q"] = ss[QUESTION]
    if ss.get(CKPT):
        want["ckpt"] = ss[CKPT]
    if ss.get(VIEW) == "soft":
        want["view"] = "soft"
    if step is not None:
        want["step"] = str(step)
    if st.query_params.to_dict() != want:
        st.query_params.from_dict(want)


def set_table(df: pd.DataFrame, source: dict | None = None) -> None:
    """Replace the table (and the editor's input, under a new key so the editor starts clean)."""
    ss = st.session_state
    ss[TABLE] = df
    ss[TABLE_BASE] = df
    ss[TABLE_VER] = ss.get(TABLE_VER, 0) + 1
    ss[FOCUS] = None
    if source is not None:
        ss[TABLE_SOURCE] = source
        ss[TABLE_EDITED] = False


def load_sample(sample_id: str, with_question: bool = True) -> None:
    set_table(
        tables.load_sample(sample_id),
        {"kind": "sample", "id": sample_id, "label": tables.list_samples()[sample_id]},
    )
    if with_question:
        st.session_state[QUESTION] = SAMPLE_QUESTIONS.get(sample_id, "count")


def load_example(example: dict, ckpt_id: str | None, label: str) -> None:
    """Put a generated test example (JSONL form) into the session: its table, question and checkpoint."""
    df = tables.normalize(pd.DataFrame(example["rows"], columns=example["columns"], dtype=object))
    set_table(df, {"kind": "example", "id": None, "label": label})
    st.session_state[QUESTION] = example["question"]
    st.session_state[CKPT] = ckpt_id


def flash(kind: str, text: str) -> None:
    st.session_state.setdefault(FLASH, []).append((kind, text))


def show_flash() -> None:
    for kind, text in st.session_state.get(FLASH, []):
        getattr(st, kind)(text)
    st.session_state[FLASH] = []
