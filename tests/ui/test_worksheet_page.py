"""AppTest: the Worksheet page. A link opens a worksheet and the student walks it, question by question (answer,
program, heatmaps, the mark against the teacher's answer), to the summary; the teacher's boxes make the link and
the file, which open it again; bad links and files are messages; user text is shown as text; the Ask page's model
is left as it was."""

from __future__ import annotations

import pandas as pd
from streamlit.testing.v1 import AppTest

from engine.np2016.program import fmt
from explorer import state, tables
from explorer import worksheet as ws
from explorer.components import worksheet_teacher as teacher
from explorer.components import worksheet_view as view
from tests.ui.helpers import APP, IFRAME, IMG, MD_LINK, TIMEOUT, answer_of, keyed_block, markup_problems, texts, walk

SALES = tables.load_sample("shop_sales")
SUM_SALES = fmt(SALES["sales"].sum())  # the test checkpoint sums the column the question names


def three_questions(**changes) -> ws.Worksheet:
    obj = {"schema": ws.SCHEMA, "title": "Shop sales", "table": {"sample": "shop_sales"},
           "questions": [{"question": "sum sales", "expected": SUM_SALES},
                         {"question": "sum profit", "expected": "1"}, {"question": "count"}]}
    return ws.from_dict(obj | changes)


def worksheet_page(query: dict | None = None) -> AppTest:
    """The Worksheet page opened at once (as a shared link opens it: the Ask page would rewrite the address)."""
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.switch_page(state.WORKSHEET.path)
    for k, v in (query or {}).items():
        at.query_params[k] = v
    return at.run()


def mark_table(at: AppTest) -> pd.DataFrame:
    """The summary's table (the one dataframe in the summary's container)."""
    return next(n for n in walk(keyed_block(at, view.SUMMARY_KEY)) if type(n).__name__ == "Dataframe").value


def test_a_link_walks_three_questions_to_the_summary():
    at = worksheet_page({ws.LINK_PARAM: ws.to_link_param(three_questions()), "ckpt": "single-column"})
    assert not at.exception, at.exception
    assert at.session_state[view.MODE] == "student"
    assert at.header[0].value == "Shop sales"
    assert "Question 1 of 3" in at.get("progress")[0].proto.text
    assert answer_of(at) == SUM_SALES
    assert {c.key for c in at.get("plotly_chart")} == {"hm_ops", "hm_cols"}
    assert f"**Right:** the worksheet's answer is {SUM_SALES}" in texts(at.success)
    at.button(key="ws_next").click().run()
    assert "**Wrong:** the worksheet's answer is 1" in texts(at.error)
    at.button(key="ws_prev").click().run()
    assert answer_of(at) == SUM_SALES and at.button(key="ws_prev").disabled
    at.button(key="ws_next").click().run()
    at.button(key="ws_next").click().run()
    assert "gives no answer to this question" in texts(at.info)
    assert at.button(key="ws_next").label == "See the summary"
    at.button(key="ws_next").click().run()
    assert not at.exception, at.exception
    marks = mark_table(at)
    assert list(marks["Question"]) == ["sum sales", "sum profit", "count"]
    assert list(marks["Mark"]) == ["right", "wrong", "not marked"]
    assert marks["Model's answer"][0] == SUM_SALES
    assert "**1 of 2** marked questions right (1 not marked)" in texts(at.markdown)
    assert at.session_state[state.CKPT] == "single-column"  # the link's Ask model, untouched by the worksheet
    at.button(key="ws_restart").click().run()
    assert "Question 1 of 3" in at.get("progress")[0].proto.text


def test_a_worksheets_own_model_answers_and_a_missing_one_is_said():
    at = worksheet_page({ws.LINK_PARAM: ws.to_link_param(three_questions(checkpoint="single-column"))})
    assert "Answered by" in texts(at.caption) and "single-column" in texts(at.caption)  # not the best match
    at = worksheet_page({ws.LINK_PARAM: ws.to_link_param(three_questions(checkpoint="gone"))})
    assert "asks for the model 'gone', which is not here" in texts(at.warning)
    assert answer_of(at) == SUM_SALES and "names-5" in texts(at.caption)


def test_user_text_is_shown_as_text():
    table = {"columns": ["A", "B"], "rows": [[IFRAME, 1], [IMG, 2], [MD_LINK, 3]]}
    sheet = three_questions(title=IMG, table=table,
                            questions=[{"question": f"print A {MD_LINK}", "expected": IFRAME},
                                       {"question": f"sum B {IMG}", "expected": MD_LINK}])
    at = worksheet_page({ws.LINK_PARAM: ws.to_link_param(sheet)})
    assert not at.exception and markup_problems(at) == []
    for _ in range(2):
        at.button(key="ws_next").click().run()
        assert not at.exception and markup_problems(at) == []
    assert list(mark_table(at)["Worksheet's answer"]) == [IFRAME, MD_LINK]


def test_a_damaged_link_or_file_is_a_message():
    at = worksheet_page({ws.LINK_PARAM: ws.to_link_param(three_questions())[:-20]})
    assert not at.exception
    assert "The worksheet could not be opened: the worksheet in the link is cut short" in texts(at.error)
    at.file_uploader(key=view.UPLOAD).set_value(("w.json", b'{"schema": NaN}', "application/json")).run()
    assert "w.json: it holds NaN" in texts(at.error)
    good = ws.dumps(three_questions()).encode()
    at.file_uploader(key=view.UPLOAD).set_value(("good.json", good, "application/json")).run()
    assert not at.error and answer_of(at) == SUM_SALES


def test_the_teacher_makes_the_link_a_student_opens():
    at = worksheet_page()
    assert at.session_state[view.MODE] == "teacher"  # nothing open: the page opens on making one
    at.text_input(key=teacher.TITLE_BOX).set_value("Shop sales")
    at.text_area(key=teacher.QUESTIONS_BOX).set_value(ws.questions_text(three_questions().items)).run()
    assert not at.exception, at.exception
    link = at.code[0].value
    assert link.startswith(f"?{ws.LINK_PARAM}=")  # (a browser's address comes before it)
    assert ws.from_link_param(link.split("=", 1)[1]) == three_questions()  # the Ask page's table: the sample
    at.button(key="ws_try").click().run()
    assert at.session_state[view.MODE] == "student" and answer_of(at) == SUM_SALES


def test_an_open_worksheet_is_edited_and_shared_again():
    sheet = three_questions(table={"columns": ["sales"], "rows": [[1], [2]]}, checkpoint="names-5")
    at = worksheet_page({ws.LINK_PARAM: ws.to_link_param(sheet)})
    at.segmented_control(key=view.MODE).set_value("teacher").run()
    at.button(key="ws_edit").click().run()
    assert at.session_state[teacher.TABLE_FROM] == teacher.FROM_SHEET
    assert ws.from_link_param(at.code[0].value.split("=", 1)[1]) == sheet
    at.text_area(key=teacher.QUESTIONS_BOX).set_value("sum sales => 3\n" + "count\n" * ws.MAX_QUESTIONS).run()
    assert f"the limit is {ws.MAX_QUESTIONS}" in texts(at.error) and not at.code


def test_a_refused_csv_is_said_before_sharing():
    at = worksheet_page()
    at.radio(key=teacher.TABLE_FROM).set_value(teacher.FROM_FILE).run()
    at.text_area(key=teacher.QUESTIONS_BOX).set_value("count").run()
    assert "Upload the table's CSV file" in texts(at.info)
    at.file_uploader(key=teacher.TABLE_UPLOAD).set_value(("t.csv", b"a,b\n", "text/csv")).run()
    assert not at.exception, at.exception
    assert "t.csv: the file has a header row (line 1) but no data rows" in texts(at.error) and not at.code
    at.file_uploader(key=teacher.TABLE_UPLOAD).set_value(("t.csv", b"a,b\n1,x\n", "text/csv")).run()
    assert not at.error and at.code


def test_without_any_checkpoint_each_question_says_so_and_the_summary_follows(monkeypatch, tmp_path):
    monkeypatch.setenv("NPX_CHECKPOINT_DIRS", str(tmp_path / "none"))
    at = worksheet_page({ws.LINK_PARAM: ws.to_link_param(three_questions())})
    assert not at.exception, at.exception
    assert "No model here can answer questions on this table" in texts(at.warning)
    for _ in range(3):
        at.button(key="ws_next").click().run()
    assert not at.exception, at.exception
    assert list(mark_table(at)["Model's answer"]) == ["(none)"] * 3
    assert "No question was marked" in texts(at.markdown)
