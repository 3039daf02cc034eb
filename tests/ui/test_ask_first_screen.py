"""AppTest: the Ask page's first screen — plain model names, honest guesses with a one-click closest
question, and the small defects: long pastes, words in number cells, repeated and stale uploads, wrapped
programs."""

from __future__ import annotations

from engine.core.limits import QUESTION_MAX_CHARS
from explorer import state, tables
from explorer.components.trace_view import answer_text
from tests.ui.helpers import answer_of, ask, editor_key, new_app, texts

GOOD = b"price,units\n3,10\n5,20\n"
BAD = b"a,b\n1,2\n3,4,5\n"


def _messages(at) -> str:
    return "\n".join(texts(e) for e in (at.warning, at.info, at.caption, at.error, at.success, at.markdown))


def test_summary_line_and_plain_checkpoint_names():
    at = new_app()
    assert not at.exception
    summary = texts(at.caption)
    assert "Table:" in summary and "12 rows × 5 columns" in summary
    assert "Model:" in summary and "Synthetic, up to 5 columns, real header names" in summary
    options = at.selectbox(key=state.CKPT_PICK).options
    assert any(o.startswith("Synthetic, up to 5 columns, real header names") and "names-5" in o for o in options)


def test_a_question_outside_the_grammar_is_marked_as_a_guess_with_one_click_to_the_closest():
    at = ask(new_app(), "what is the total of sales please")
    assert not at.exception
    assert "A guess, not an answer" in texts(at.markdown)
    assert "The model is guessing" in texts(at.warning)
    assert "Right" not in texts(at.success)  # nothing confirms a guess
    button = at.button(key="ask_instead")
    assert "sum sales" in button.label
    button.click().run()
    assert not at.exception
    assert at.session_state[state.QUESTION] == "sum sales"
    assert at.text_input(key=state.QUESTION_BOX).value == "sum sales"
    want = float(tables.load_sample("shop_sales")["sales"].sum())
    assert answer_of(at) == answer_text({"kind": "scalar", "scalar": want})
    assert "Right" in texts(at.success) and "The model is guessing" not in texts(at.warning)


def test_a_grammar_question_is_an_answer_not_a_guess():
    at = ask(new_app(), "sum profit")
    assert "A guess" not in texts(at.markdown)
    assert all(b.key != "ask_instead" for b in at.button)


def test_a_column_found_by_name_is_never_called_unknown():
    at = new_app({"table": "grade_book"})  # "exam" is a column, but not a word of the names-5 vocabulary
    at = ask(at, "sum exam")
    assert not at.exception
    shown = _messages(at)
    assert "found by name: exam → exam" in shown
    assert "does not know" not in shown and "unknown to the model" not in shown
    assert "A guess" not in texts(at.markdown)


def test_a_long_paste_is_cut_to_the_limit_and_said_so():
    at = new_app()
    pasted = "sum sales " * (QUESTION_MAX_CHARS // 10 + 30)  # 300 characters too many
    at.text_input(key=state.QUESTION_BOX).set_value(pasted).run()
    assert not at.exception
    assert len(at.session_state[state.QUESTION_BOX]) == QUESTION_MAX_CHARS
    assert at.session_state[state.QUESTION] == " ".join(pasted[:QUESTION_MAX_CHARS].split())
    assert f"had {len(pasted):,} characters; the model reads at most {QUESTION_MAX_CHARS}" in texts(at.info)
    ask(at, "sum sales")
    assert "characters; the model reads at most" not in texts(at.info)


def test_a_word_typed_into_a_number_cell_is_kept_and_named():
    at = new_app()
    at.session_state[editor_key(at)] = {"edited_rows": {2: {"sales": "lots"}}, "added_rows": [], "deleted_rows": []}
    at.run()
    assert not at.exception
    assert at.session_state[state.TABLE]["sales"][2] == "lots"  # kept, not blanked
    warning = texts(at.warning)
    assert "Column **sales** is mostly numbers" in warning and "row 2: 'lots'" in warning
    at.button(key="fix_sales").click().run()
    assert tables.is_numeric(at.session_state[state.TABLE], "sales")


def test_every_upload_is_loaded_or_refused():
    at = new_app()
    uploader = at.file_uploader(key=state.CSV_UPLOAD)
    uploader.set_value(("a.csv", GOOD, "text/csv")).run()
    assert list(at.session_state[state.TABLE].columns) == ["price", "units"]
    at.selectbox(key=state.SAMPLE_PICK).set_value("league").run()
    assert "wins" in at.session_state[state.TABLE].columns
    at.file_uploader(key=state.CSV_UPLOAD).set_value(("a.csv", GOOD, "text/csv")).run()  # the same file again
    assert list(at.session_state[state.TABLE].columns) == ["price", "units"], "the second upload was dropped"
    at.file_uploader(key=state.CSV_UPLOAD).set_value(("b.csv", BAD, "text/csv")).run()
    assert "b.csv" in texts(at.error) and "unchanged" in texts(at.error)
    at.run()  # a rerun acts on a file once: the refusal is not repeated or undone
    assert list(at.session_state[state.TABLE].columns) == ["price", "units"]


def _refuse(at):
    at.file_uploader(key=state.CSV_UPLOAD).set_value(("bad.csv", BAD, "text/csv")).run()
    assert "bad.csv" in texts(at.error)
    return at


def test_a_stale_upload_error_goes_when_the_table_changes():
    at = _refuse(new_app())
    at.session_state[editor_key(at)] = {"edited_rows": {0: {"sales": 1.0}}, "added_rows": [], "deleted_rows": []}
    at.run()
    assert "bad.csv" not in texts(at.error), "a cell edit leaves the refusal on screen"
    _refuse(at).selectbox(key=state.SAMPLE_PICK).set_value("league").run()
    assert "bad.csv" not in texts(at.error), "a sample pick leaves the refusal on screen"
    _refuse(at).button[[b.label for b in at.button].index("Blank table")].click().run()
    assert "bad.csv" not in texts(at.error), "a blank table leaves the refusal on screen"
    _refuse(at)
    at.text_input(key=state.COL_ADD_NAME).set_value("extra")
    at.button(key="col_add").click().run()
    assert "bad.csv" not in texts(at.error), "a column edit leaves the refusal on screen"


def test_the_program_wraps_long_lines():
    at = ask(new_app(), "sum sales")
    assert at.code and all(c.proto.wrap_lines for c in at.code)
