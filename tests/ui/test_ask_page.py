"""AppTest: the Ask page — answers, edits, uploads, messages, linked views, URL state, sessions."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from engine.np2016.checkpoint import load_checkpoint
from engine.np2016.trace import trace
from explorer import state, tables
from explorer.components.trace_view import answer_text
from tests.ui.helpers import ROOT, answer_of, ask, new_app, texts

SHIPPED = ROOT / "checkpoints" / "names-5.safetensors"  # in the repository: its absence is a failure


def test_landing_page_answers_at_once():
    at = new_app()
    assert not at.exception
    assert at.session_state[state.TABLE_SOURCE]["id"] == state.DEFAULT_SAMPLE
    assert answer_of(at)
    assert at.code, "the induced program is shown"
    charts = at.get("plotly_chart")
    assert [c.key for c in charts] == ["hm_ops", "hm_cols"]  # the first screen's two heatmaps
    spec = json.loads(charts[0].proto.spec)
    assert spec["data"][0]["type"] == "heatmap" and spec["data"][1]["type"] == "scatter"
    at = at.toggle(key="more_views").set_value(True).run()  # rows, pivot and question words join them
    assert [c.key for c in at.get("plotly_chart")][:3] == ["hm_ops", "hm_cols", "hm_rows"]
    assert len(at.get("plotly_chart")) >= 4


def test_sum_question_gives_the_right_answer(ckpt_dir: Path):
    at = ask(new_app(), "sum sales")
    assert not at.exception
    df = tables.load_sample("shop_sales")
    assert answer_of(at) == answer_text({"kind": "scalar", "scalar": float(df["sales"].sum())})
    assert "Right" in texts(at.success)
    # the app shows exactly what the engine's trace of the same model says
    model, vocab, _ = load_checkpoint(ckpt_dir / "names-5.safetensors")
    cols, rows = tables.to_engine(df)
    assert answer_of(at) == answer_text(trace(model, vocab, cols, rows, "sum sales")["answer"])


def test_shipped_checkpoint_answers_right(monkeypatch):
    monkeypatch.setenv("NPX_CHECKPOINT_DIRS", str(SHIPPED.parent))
    at = ask(new_app(), "greater 2015 year sum sales")
    assert not at.exception
    assert "Right" in texts(at.success), answer_of(at)


def test_editing_a_cell_changes_the_answer():
    at = ask(new_app(), "sum sales")
    before = answer_of(at)
    key = f"editor_{at.session_state[state.TABLE_VER]}"
    at.session_state[key] = {"edited_rows": {0: {"sales": 1120.5}}, "added_rows": [], "deleted_rows": []}
    at.run()
    assert not at.exception
    assert at.session_state[state.TABLE_EDITED]
    want = float(tables.load_sample("shop_sales")["sales"].sum()) + 1000
    assert answer_of(at) == answer_text({"kind": "scalar", "scalar": want}) != before


def test_adding_and_deleting_rows():
    at = ask(new_app(), "sum sales")
    key = f"editor_{at.session_state[state.TABLE_VER]}"
    at.session_state[key] = {"edited_rows": {}, "added_rows": [{"sales": 10.0}], "deleted_rows": [0]}
    at.run()
    df = at.session_state[state.TABLE]
    assert len(df) == 12 and not at.exception  # 12 - 1 + 1
    assert answer_of(at) == answer_text({"kind": "scalar", "scalar": float(df["sales"].sum())})


def test_edits_survive_a_page_switch():
    at = new_app()
    key = f"editor_{at.session_state[state.TABLE_VER]}"
    at.session_state[key] = {"edited_rows": {1: {"profit": 99.0}}, "added_rows": [], "deleted_rows": []}
    at.run()
    at.switch_page("explorer/pages/about.py").run()
    at.switch_page("explorer/pages/ask.py").run()
    assert at.session_state[state.TABLE]["profit"][1] == 99.0
    assert at.data_editor[0].value["profit"][1] == "99"  # the editor shows every cell as text (see table_editor)


def test_upload_good_csv():
    at = new_app()
    at.file_uploader(key="csv_upload").set_value(("mine.csv", b"price,units\n3,10\n5,20\n", "text/csv")).run()
    assert not at.exception
    assert list(at.session_state[state.TABLE].columns) == ["price", "units"]
    assert "uploaded mine.csv" in at.session_state[state.TABLE_SOURCE]["label"]


@pytest.mark.parametrize("raw, message", [
    (b"a,b\n1,2\n3,4,5\n", "different numbers of fields"),
    (b"", "empty"),
    (b"caf\xe9,b\n1,2\n", "not UTF-8"),
    ((",".join(f"c{i}" for i in range(30)) + "\n" + ",".join("1" * 30)).encode(), "columns; the limit is"),
    (b"a\n" + b"1\n" * 600, "rows; the limit is"),
])
def test_upload_bad_csv_keeps_the_table(raw, message):
    at = new_app()
    at.session_state[f"editor_{at.session_state[state.TABLE_VER]}"] = {
        "edited_rows": {0: {"sales": 1.0}}, "added_rows": [], "deleted_rows": []}
    at.run()
    at.file_uploader(key="csv_upload").set_value(("bad.csv", raw, "text/csv")).run()
    assert not at.exception
    assert message in texts(at.error)
    assert at.session_state[state.TABLE]["sales"][0] == 1.0  # the user's edit is not lost


def test_non_numeric_cells_are_pointed_out_and_can_be_cleared():
    at = new_app()
    at.file_uploader(key="csv_upload").set_value(("m.csv", b"sales,profit\n1,2\nn/a,3\n4,5\n6,7\n",
                                                   "text/csv")).run()
    assert "mostly numbers" in texts(at.warning)
    at.button(key="fix_sales").click().run()
    assert not at.exception
    assert tables.is_numeric(at.session_state[state.TABLE], "sales")


def test_duplicate_and_empty_column_names():
    at = new_app()
    at.file_uploader(key="csv_upload").set_value(("d.csv", b"x,x,\n1,2,3\n", "text/csv")).run()
    assert list(at.session_state[state.TABLE].columns) == ["x", "x 2", "column 3"]
    assert "used twice" in texts(at.info) and "had no name" in texts(at.info)
    at.selectbox(key="col_pick").set_value("x 2")
    at.text_input(key="col_new_name").set_value("x")
    at.button(key="col_rename").click().run()
    assert "already a column called 'x'" in texts(at.error)
    at.text_input(key="col_new_name").set_value("units")
    at.button(key="col_rename").click().run()
    assert list(at.session_state[state.TABLE].columns) == ["x", "units", "column 3"]


def test_add_and_remove_columns():
    at = new_app()
    at.text_input(key="col_add_name").set_value("region")
    at.radio(key="col_add_kind").set_value("text")
    at.button(key="col_add").click().run()
    assert "region" in at.session_state[state.TABLE].columns and not at.exception
    at.selectbox(key="col_pick").set_value("region")
    at.button(key="col_drop").click().run()
    assert "region" not in at.session_state[state.TABLE].columns


def test_empty_table_and_blank_table_messages():
    at = new_app()
    at.button(key="col_drop")  # exists
    key = f"editor_{at.session_state[state.TABLE_VER]}"
    at.session_state[key] = {"edited_rows": {}, "added_rows": [], "deleted_rows": list(range(12))}
    at.run()
    assert "no rows" in texts(at.error) and not at.exception
    at.button[[b.label for b in at.button].index("Blank table")].click().run()
    assert not at.exception
    assert "every cell is empty" in texts(at.error)


def test_question_problems_are_explained():
    at = ask(new_app(), "zorp blarg")
    assert "None of the question's words is known" in texts(at.info) and not at.exception
    at = ask(at, "greater sales count")
    assert "has no number" in texts(at.caption) and not at.exception


def test_example_question_pills():
    at = new_app()
    pills = at.get("button_group")
    assert pills, "example questions are offered"


def test_text_column_with_a_numeric_model_warns():
    at = new_app({"table": "text_2"})
    at.selectbox(key="ckpt_pick").set_value("names-5").run()
    assert "no text_match" in texts(at.warning) and not at.exception


def test_heatmap_click_highlights_the_step():
    at = ask(new_app(), "sum sales")
    at.session_state["hm_ops"] = {"selection": {"points": [{"x": "t1", "y": "sum"}], "point_indices": [0],
                                                "box": [], "lasso": []}}
    at.run()
    assert not at.exception
    assert at.session_state[state.FOCUS] == {"step": 1, "row": None}
    assert any("**Step 1:** sum of sales" in m.value for m in at.markdown)


def test_soft_view_and_focus_slider():
    at = ask(new_app(), "sum sales")
    at.session_state[state.VIEW] = "soft"
    at.select_slider(key="focus_pick").set_value("t1").run()
    assert not at.exception and at.session_state[state.FOCUS]["step"] == 1


def test_url_reproduces_the_view():
    at = new_app({"table": "league", "q": "sum goals", "ckpt": "names-5"})
    assert not at.exception
    assert at.session_state[state.TABLE_SOURCE]["id"] == "league"
    assert at.text_input(key="question_box").value == "sum goals"
    assert answer_of(at) == answer_text({"kind": "scalar", "scalar": 557.0})
    assert at.query_params["table"] == "league" and at.query_params["q"] == "sum goals"


def test_edited_small_table_goes_into_the_url():
    at = new_app()
    at.session_state[f"editor_{at.session_state[state.TABLE_VER]}"] = {
        "edited_rows": {0: {"sales": 1.0}}, "added_rows": [], "deleted_rows": []}
    at.run()
    packed = at.query_params["data"]
    assert tables.from_url_param(packed)["sales"][0] == 1.0
    again = new_app({"data": packed, "q": "sum sales"})
    assert again.session_state[state.TABLE]["sales"][0] == 1.0 and not again.exception


def test_two_sessions_do_not_share_tables():
    a, b = new_app(), new_app()
    a.session_state[f"editor_{a.session_state[state.TABLE_VER]}"] = {
        "edited_rows": {0: {"sales": 5.0}}, "added_rows": [], "deleted_rows": []}
    a.run()
    b.run()
    assert a.session_state[state.TABLE]["sales"][0] == 5.0
    assert b.session_state[state.TABLE]["sales"][0] == 120.5


def test_teach_adds_the_right_answer_to_the_custom_set():
    at = ask(new_app(), "count")
    at.radio(key="teach_kind").set_value("a number")
    at.number_input(key="teach_number").set_value(12.0)
    at.button(key="teach_add").click().run()
    assert not at.exception
    custom = at.session_state[state.CUSTOM]
    assert len(custom) == 1 and custom[0]["answer"] == {"scalar": 12.0} and custom[0]["question"] == "count"


@pytest.mark.parametrize("question", [
    "5 6", "sum", "print", "greater 10", "sum nonexistent", "  ", "Σ ∂ ünïcødé", "sum sales " * 60,
    "greater 1e999 sales count", "greater -0 sales and or count", "count?!", "sum A diff count",
])
def test_odd_questions_never_raise(question):
    at = ask(new_app(), question)
    assert not at.exception, at.exception


@pytest.mark.parametrize("csv", [
    b"x\n1\n", b"only,text\na,b\nc,d\n", b"a;b\n1;2\n3;4\n", b"a\tb\n1\t2\n", b"a,b\n,\n1,\n",
    b"n\n1,5\n", b"\"q,x\",y\n1,2\n", b"a,b\ninf,nan\n-1e308,1e308\n",
])
def test_odd_tables_never_raise(csv):
    at = new_app()
    at.file_uploader(key="csv_upload").set_value(("odd.csv", csv, "text/csv")).run()
    assert not at.exception, at.exception
    for name in ("step", "compare"):
        at.switch_page(f"explorer/pages/{name}.py").run()
        assert not at.exception, (name, at.exception)
