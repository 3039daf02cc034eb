"""AppTest: the Programs page's "Real tables (WikiTableQuestions dev)" view on the real-table fixture
(tests/fixtures/wtq: 4 tables, 23 questions, CC BY-SA 4.0) answered by the shipped 2017 checkpoint.

Expected figures are computed here by the engine itself (wtq-convert's convert_file, answer_all, score), never
written down, so the tests hold for any checkpoint the project ships."""

from __future__ import annotations

import pytest

from engine.core.io.examples import read_jsonl
from engine.wtq2017.checkpoint import load_wtq_checkpoint
from engine.wtq2017.dataset.convert import convert_file
from engine.wtq2017.dataset.evaluator import denotation_match
from engine.wtq2017.predict import answer_all, denotation, score
from explorer import real_tables, state
from explorer.wtq_programs_view import ABSENT, OPEN_KEY, RUN_KEY
from tests.ui.helpers import IMG, MD_LINK, ROOT, markup_problems, new_app, page, texts
from tests.ui.wtq_helpers import SHIPPED_WTQ

FIXTURE = ROOT / "tests" / "fixtures" / "wtq"
SAMPLE = FIXTURE / "data" / "sample.tsv"
REAL = "Real tables (WikiTableQuestions dev)"


@pytest.fixture(autouse=True)
def shipped_model(monkeypatch):
    monkeypatch.setenv("NPX_WTQ_CHECKPOINT", str(SHIPPED_WTQ))


@pytest.fixture
def fixture_data(monkeypatch):
    monkeypatch.setenv("NPX_WTQ_DIR", str(FIXTURE))
    monkeypatch.setenv("NPX_WTQ_DEV_TSV", str(SAMPLE))


def _engine_view(tsv, tables_dir, tmp_path) -> tuple[list[dict], list[dict], dict]:
    """The converter's examples, the checkpoint's answers and the engine's score: what the page must show."""
    out = tmp_path / "dev.jsonl"
    convert_file(tsv, tables_dir, out, purpose="eval")
    examples = list(read_jsonl(out))
    model, vocab, _ = load_wtq_checkpoint(real_tables.checkpoint_path())
    answers = answer_all(model, vocab, examples)
    return examples, answers, score(examples, answers)


def _frame(at, column: str):
    """The table on the page that has this column (the groups: "program shape"; a group's questions: "id")."""
    return next(d.value for d in at.dataframe if column in d.value.columns)


def _evaluated():
    at = page(new_app(), "programs")
    at.radio(key="prog_view").set_value(REAL).run()
    at.button(key=RUN_KEY).click().run()
    assert not at.exception, at.exception
    return at


def test_groups_counts_and_accuracy_are_the_engines(fixture_data, tmp_path):
    examples, answers, want = _engine_view(SAMPLE, FIXTURE, tmp_path)
    at = _evaluated()
    assert f"{want['accuracy']:.1%} right ({want['correct']} of {want['total']})" in texts(at.subheader)
    groups = _frame(at, "program shape")
    shown = {row["program shape"]: (row["examples"], row["right"], row["accuracy"]) for _, row in groups.iterrows()}
    expected = {s: (v["total"], v["correct"], pytest.approx(v["accuracy"]))
                for s, v in want["by_program_shape"].items()}
    assert shown == expected and sum(n for n, _, _ in shown.values()) == len(examples)
    types = _frame(at, "answer type")
    assert {r["answer type"]: (r["questions"], r["right"]) for _, r in types.iterrows()} == {
        k: (v["total"], v["correct"]) for k, v in want["by_answer_type"].items()}
    # inside the largest group: its questions, each with the engine's answer and verdict
    shape = groups.iloc[0]["program shape"]
    assert at.selectbox(key=state.WTQ_PROG_SHAPE).value == shape
    members = _frame(at, "id")
    by_id = {ex["id"]: (ex, a) for ex, a in zip(examples, answers, strict=True)}
    assert len(members) == want["by_program_shape"][shape]["total"]
    for _, row in members.iterrows():
        ex, a = by_id[row["id"]]
        den = denotation(ex, a)
        assert row["answer"] == " | ".join(den) and row["question"] == ex["question"]
        assert row[""] == ("✓" if denotation_match(den, ex["target"]) else "✗")


def test_only_wrong_hides_right_answers(fixture_data, tmp_path):
    examples, answers, want = _engine_view(SAMPLE, FIXTURE, tmp_path)
    wrong = {ex["id"] for ex, a in zip(examples, answers, strict=True)
             if not denotation_match(denotation(ex, a), ex["target"])}
    assert wrong, "the fixture has no wrong answer: this test could not fail"
    at = _evaluated()
    at.toggle(key=state.WTQ_PROG_WRONG).set_value(True).run()
    groups = _frame(at, "program shape")
    assert set(groups["program shape"]) == {s for s, v in want["by_program_shape"].items() if v["correct"] < v["total"]}
    seen = set()
    for shape in groups["program shape"]:
        at.selectbox(key=state.WTQ_PROG_SHAPE).set_value(shape).run()
        members = _frame(at, "id")
        assert set(members[""]) == {"✗"}
        seen |= set(members["id"])
        assert all(o.startswith("✗") for o in at.selectbox(key=state.WTQ_PROG_EXAMPLE).options)
    assert seen == wrong


def test_an_example_shows_its_program_in_words(fixture_data, tmp_path):
    at = _evaluated()
    pick = at.selectbox(key=state.WTQ_PROG_EXAMPLE).value
    result = at.session_state[state.WTQ_PROG_RESULT]["results"][pick]
    shown = texts(at.markdown)
    assert all(w in shown for w in result["words"]) and result["question"] in shown
    at.button(key=OPEN_KEY).click().run()
    assert not at.exception, at.exception
    assert at.session_state[state.QUESTION] == result["question"]
    table = at.session_state[state.WTQ_PROG_RESULT]["tables"][result["table"]]
    assert list(at.session_state[state.TABLE].columns) == table["columns"]
    assert len(at.session_state[state.TABLE]) == len(table["rows"])


def _hostile_dataset(root):
    """One table whose column name and cells are markup, and two questions about it (one with markup)."""
    (root / "csv" / "900-csv").mkdir(parents=True)
    (root / "data").mkdir()
    rows = [["Name", f"x{IMG}"], [MD_LINK, "1"], ["**bold** <b>b</b>", "2"]]
    (root / "csv" / "900-csv" / "1.tsv").write_text("\n".join("\t".join(r) for r in rows) + "\n", encoding="utf-8")
    tsv = root / "data" / "dev.tsv"
    tsv.write_text("id\tutterance\tcontext\ttargetValue\n"
                   f"h-1\twhich name is first? {IMG}\tcsv/900-csv/1.csv\t{MD_LINK}\n"
                   "h-2\thow many names are there?\tcsv/900-csv/1.csv\t2\n", encoding="utf-8")
    return tsv


def test_hostile_cells_are_shown_escaped(tmp_path, monkeypatch):
    tsv = _hostile_dataset(tmp_path / "wtq")
    monkeypatch.setenv("NPX_WTQ_DIR", str(tmp_path / "wtq"))
    monkeypatch.setenv("NPX_WTQ_DEV_TSV", str(tsv))
    at = _evaluated()
    assert "of 2)" in texts(at.subheader)  # both questions were read and answered
    seen = set()
    for i in range(len(at.selectbox(key=state.WTQ_PROG_SHAPE).options)):
        at.selectbox(key=state.WTQ_PROG_SHAPE).select_index(i).run()
        for j in range(len(at.selectbox(key=state.WTQ_PROG_EXAMPLE).options)):
            at.selectbox(key=state.WTQ_PROG_EXAMPLE).select_index(j).run()
            assert not at.exception, at.exception
            assert markup_problems(at) == []
            shown = texts(at.markdown)
            if f"which name is first? {IMG}" in shown:
                assert MD_LINK in shown  # the dataset's answer, as text
                seen.add("h-1")
            if "how many names are there?" in shown:
                seen.add("h-2")
    assert seen == {"h-1", "h-2"}


def test_the_dataset_absent_is_said_plainly(tmp_path, monkeypatch):
    monkeypatch.setenv("NPX_WTQ_DIR", str(tmp_path / "nowhere"))
    monkeypatch.delenv("NPX_WTQ_DEV_TSV", raising=False)
    at = page(new_app(), "programs")
    at.radio(key="prog_view").set_value(REAL).run()
    assert not at.exception, at.exception
    warning = texts(at.warning)
    assert ABSENT in warning and "NPX_WTQ_DIR" in warning and str(tmp_path / "nowhere") in warning
    assert RUN_KEY not in [b.key for b in at.button]


def test_no_checkpoint_is_said_plainly(fixture_data, tmp_path, monkeypatch):
    monkeypatch.setenv("NPX_WTQ_CHECKPOINT", str(tmp_path / "none.safetensors"))
    at = page(new_app(), "programs")
    at.radio(key="prog_view").set_value(REAL).run()
    assert not at.exception, at.exception
    assert "No 2017 checkpoint" in texts(at.error) and "NPX_WTQ_CHECKPOINT" in texts(at.error)


def test_the_synthetic_view_stays_the_default(fixture_data):
    at = page(new_app(), "programs")
    assert at.radio(key="prog_view").value.startswith("Synthetic")
    keys = [b.key for b in at.button]
    assert "prog_run" in keys and RUN_KEY not in keys
