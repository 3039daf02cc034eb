"""AppTest: what a hostile link, file or question can do — nothing. Cells, column names, file names and
URL parameters are shown as text (never HTML, links or images), bad parameters are left out with a
message, bad uploads keep the user's table, and the CSV export cannot run formulas in a spreadsheet."""

from __future__ import annotations

import csv
import html
import io
import json
import re

import pandas as pd
import pytest

from explorer import escape, state, tables
from explorer.components import table_editor
from tests.ui.helpers import (
    HTML_LINK_NAME,
    IFRAME,
    IMG,
    MD_LINK,
    OVERLAY,
    PRINT_MODEL,
    ROOT,
    answer_of,
    ask,
    editor_key,
    markup_problems,
    new_app,
    page,
    texts,
    visible,
)

MD_IMAGE = "![t](http://evil.example/pixel.png)"
FORMULA = "=cmd|' /C calc'!A0"
TOKEN = "0123456789abcdef0123456789abcdef"


def hostile_table() -> pd.DataFrame:
    return tables.normalize(pd.DataFrame({
        "A": [IFRAME, IMG, OVERLAY, MD_LINK, MD_IMAGE, FORMULA],
        "B": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0],
        HTML_LINK_NAME: ["x", "y", "z", "u", "v", "w"],
        "[m](http://evil.example)": ["p", "q", "r", "s", "t", "o"],
    }, dtype=object))


def hostile_link(question: str = "print A") -> dict:
    return {"data": tables.to_url_param(hostile_table()), "q": question, "ckpt": PRINT_MODEL}


def test_hostile_cells_in_a_link_are_answered_as_text():
    at = new_app(hostile_link())
    assert not at.exception, at.exception
    assert answer_of(at) == ", ".join([IFRAME, IMG, OVERLAY, MD_LINK, MD_IMAGE, FORMULA])
    assert markup_problems(at) == []
    for name in ("step", "compare"):
        at = page(at, name)
        assert not at.exception, (name, at.exception)
        assert markup_problems(at) == [], name
    assert IFRAME in texts(at.subheader)  # the Compare page's answer, as text


def test_plotly_labels_show_column_names_and_words_as_text():
    at = new_app(hostile_link("print A <b>x</b>"))
    at = at.toggle(key="more_views").set_value(True).run()  # the word heatmap is among the further views
    charts = {c.proto.id.rsplit("-", 1)[-1]: json.loads(c.proto.spec) for c in at.get("plotly_chart")}
    columns = charts["hm_cols"]["data"][0]["y"]
    assert columns == [html.escape(c, quote=False) for c in hostile_table().columns]
    assert charts["hm_words"]["data"][0]["y"] == ["1:print", "2:a", "3:&lt;b&gt;x&lt;/b&gt;"]
    assert markup_problems(at) == []


def test_questions_and_unknown_words_are_escaped():
    at = ask(new_app(), f"sum sales {MD_LINK} {IMG}")
    assert not at.exception
    assert markup_problems(at) == []
    assert "evil.example" in texts(at.caption)  # the unknown words are listed, as text


def test_csv_export_neutralises_formula_cells_and_names():
    df = tables.normalize(pd.DataFrame({"=SUM(A1)": [FORMULA, "+1 2", "-3", "@x", None], "n": [-1, 2, 3, 4, 5]},
                                       dtype=object))
    rows = list(csv.reader(io.StringIO(table_editor.csv_export(df).decode())))
    assert rows[0] == ["'=SUM(A1)", "n"]
    assert [r[0] for r in rows[1:]] == ["'" + FORMULA, "'+1 2", "-3", "'@x", ""]
    assert [r[1] for r in rows[1:]] == ["-1.0", "2.0", "3.0", "4.0", "5.0"]  # numbers stay numbers


@pytest.mark.parametrize("step", ["²", "١", "１", "0", "17", "-1", "2.0", " 2", "9" * 40])
def test_a_step_that_is_not_an_ascii_number_in_range_is_refused(step):
    at = new_app({"table": "letters_1", "q": "greater 20 A sum A", "step": step})
    assert "step parameter was left out" in texts(at.warning)
    at = page(at, "step")
    assert not at.exception, at.exception
    assert at.session_state[state.STEP] == 1


def test_a_valid_step_is_kept():
    at = page(new_app({"table": "letters_1", "q": "greater 20 A sum A", "step": "2"}), "step")
    assert at.session_state[state.STEP] == 2 and at.query_params["step"] == "2"


@pytest.mark.parametrize("param, value, why", [
    ("ckpt", "<script>x</script>", "not a checkpoint name"),
    ("view", "<b>soft</b>", "neither"),
    ("q", "sum sales " * 300, "the limit is"),
    ("run", "0123456789ABCDEF0123456789ABCDEF", "32 lowercase hex"),
    ("data", "x" * 20_000, "the limit is"),
    ("data", "[x](http://evil.example)", "could not be loaded"),
    ("table", "<img src=x>", "no sample table"),
])
def test_bad_url_parameters_are_left_out_with_a_message(param, value, why):
    at = new_app({param: value})
    assert not at.exception, at.exception
    assert why in texts(at.warning)
    assert markup_problems(at) == []
    assert at.query_params.get(param) != value  # the URL no longer carries it
    assert at.session_state[state.TABLE_SOURCE]["id"] == state.DEFAULT_SAMPLE


def test_the_run_token_stays_in_the_session_but_only_the_train_page_shows_it():
    """A teacher shares the Ask page's address with a class: it must not hand out the token that stops (and
    keeps alive) the teacher's run. The session keeps the token on every page, and the Train page's address
    carries it so that a reload there finds the run."""
    at = new_app({"run": TOKEN, "q": "sum sales"})
    assert at.session_state[state.RUN_OWNER] == TOKEN
    for name in ("ask", "step", "compare", "about"):
        at = page(at, name)
        assert at.session_state[state.RUN_OWNER] == TOKEN, name
        assert "run" not in at.query_params, name
    at = page(at, "train")
    assert at.query_params["run"] == TOKEN


@pytest.mark.parametrize("raw, message", [
    (b"price,units\n", "no data rows"),
    (b"\x00\x01\x02PK\x03\x04" * 50, "binary|not UTF-8"),
    (b"a\n" + b"1\n" * 600_000, "the limit is"),
])
def test_upload_refused_keeps_the_table(raw, message):
    at = new_app()
    at.session_state[editor_key(at)] = {"edited_rows": {0: {"sales": 1.0}}, "added_rows": [], "deleted_rows": []}
    at.run()
    at.file_uploader(key=state.CSV_UPLOAD).set_value(("bad.csv", raw, "text/csv")).run()
    assert not at.exception, at.exception
    assert re.search(message, texts(at.error)) and "unchanged" in texts(at.error)
    assert at.session_state[state.TABLE]["sales"][0] == 1.0
    assert list(at.session_state[state.TABLE].columns)[0] == "year"


def test_an_upload_error_goes_once_a_good_table_is_loaded():
    at = new_app()
    at.file_uploader(key=state.CSV_UPLOAD).set_value(("bad.csv", b"a,b\n", "text/csv")).run()
    assert texts(at.error)
    at.selectbox(key=state.SAMPLE_PICK).set_value("league").run()
    assert not at.exception
    assert at.session_state[state.TABLE_SOURCE]["id"] == "league"
    assert "bad.csv" not in texts(at.error)


@pytest.mark.parametrize("good", [True, False])
def test_file_names_are_shown_as_text(good):
    name = f"{MD_LINK}{IMG}.csv"
    raw = b"price,units\n3,10\n" if good else b"a,b\n1,2,3\n"
    at = new_app()
    at.file_uploader(key=state.CSV_UPLOAD).set_value((name, raw, "text/csv")).run()
    assert not at.exception
    assert markup_problems(at) == []
    shown = texts(at.caption) if good else texts(at.error)
    assert name in shown


def test_mixed_column_warning_and_fix_button_escape_the_name():
    at = new_app()
    out = io.StringIO()
    csv.writer(out).writerows([[HTML_LINK_NAME, "b"], [1, 2], [MD_LINK, 3], [4, 5], [6, 7]])
    raw = out.getvalue().encode()
    at.file_uploader(key=state.CSV_UPLOAD).set_value(("m.csv", raw, "text/csv")).run()
    assert "mostly numbers" in texts(at.warning)
    assert markup_problems(at) == []
    assert any(visible(b.label) == f"Clear the non-numeric cells of {HTML_LINK_NAME}" for b in at.button)


def test_html_is_allowed_only_in_the_static_legend():
    """No page passes unsafe_allow_html with anything but table_view's fixed legend."""
    calls = []
    for path in sorted((ROOT / "explorer").rglob("*.py")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if "unsafe_allow_html" in line:
                calls.append((path.relative_to(ROOT).as_posix(), line.strip()))
    assert calls == [
        ("explorer/components/table_view.py",
         'st.caption(LEGEND + (COLUMN_LEGEND if column else ""), unsafe_allow_html=True)')
    ]


def test_page_paths_are_said_once():
    """Pages are named by state.PAGES; no other module spells a page's path."""
    for p in state.PAGES:
        assert (ROOT / p.path).exists(), p.path
    spelled = [
        path.relative_to(ROOT).as_posix()
        for path in [ROOT / "streamlit_app.py", *sorted((ROOT / "explorer").rglob("*.py"))]
        if path.name != "state.py" and re.search(r"[\"']explorer/pages/", path.read_text(encoding="utf-8"))
    ]
    assert spelled == []


def test_escape_md_and_html_show_the_text_exactly():
    text = f"{IFRAME} {MD_LINK} **b** `c` :red[d] $x$ \\ # 1. - > |"
    assert visible(escape.md(text)) == text
    assert not re.search(r"[<>\[\]()*`$:|#!-]", re.sub(r"\\.", "", escape.md(text)))
    assert escape.md("a\nb\r\nc") == "a b c"
    assert html.unescape(escape.html(IFRAME)) == IFRAME and "<" not in escape.html(IFRAME)
