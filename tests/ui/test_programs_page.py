"""AppTest: the Programs page, one view for either family: the 2016 model on 23 generated single-column questions
(a background job, tests/ui/programs_helpers.py), the 2017 model on the real-table fixture (tests/fixtures/wtq:
4 tables, 23 questions, CC BY-SA 4.0) answered by the shipped 2017 checkpoint.

Expected figures are computed here by the engine itself (the generator and induced_programs; wtq-convert's
convert_file, answer_all, score), never written down, so the tests hold for any checkpoint the project ships."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from engine.core.io.examples import read_jsonl
from engine.families import NP2016, WTQ2017
from engine.np2016 import checkpoint as np2016_checkpoint
from engine.np2016.data import tasks as data
from engine.wtq2017 import checkpoint as wtq2017_checkpoint
from engine.wtq2017.dataset.convert import convert_file
from engine.wtq2017.dataset.evaluator import denotation_match
from engine.wtq2017.predict import answer_all, denotation, score
from explorer import checkpoints, programs, real_tables, state
from explorer.components.programs_view import DEV_RUN, LOOKS, OPEN_KEY
from explorer.dev_questions import ABSENT
from explorer.real_tables import APP_BEAM
from tests.ui.helpers import IMG, MD_LINK, ROOT, markup_problems, new_app, page, texts
from tests.ui.programs_helpers import evaluate, evaluation_of
from tests.ui.wtq_helpers import SHIPPED_WTQ

FIXTURE = ROOT / "tests" / "fixtures" / "wtq"
SAMPLE = FIXTURE / "data" / "sample.tsv"
REAL = "Real tables (WikiTableQuestions dev)"
N = 23


@pytest.fixture(autouse=True)
def shipped_model(monkeypatch):
    monkeypatch.setenv("NPX_WTQ_CHECKPOINT", str(SHIPPED_WTQ))


@pytest.fixture
def fixture_data(monkeypatch):
    monkeypatch.setenv("NPX_WTQ_DIR", str(FIXTURE))
    monkeypatch.setenv("NPX_WTQ_DEV_TSV", str(SAMPLE))


def _frame(at, column: str):
    """The table on the page that has this column."""
    return next(d.value for d in at.dataframe if column in d.value.columns)


def _evaluated_dev():
    at = page(new_app(), "programs")
    at.radio(key="prog_view").set_value(REAL).run()
    at.button(key=DEV_RUN).click().run()
    assert not at.exception, at.exception
    return at


def _np2016(ckpt_dir, tmp_path):
    """The page's evaluation and what the engine says of the same questions."""
    at = page(new_app(), "programs")
    evaluate(at, "single-column", N)
    model, vocab, _ = np2016_checkpoint.load_checkpoint(ckpt_dir / "single-column.safetensors")
    examples = data.generate("single-column", "test", N, 7)
    found = programs.induced_programs(model, vocab, examples)
    summary = programs.summarise(examples, found)
    return SimpleNamespace(at=at, counts=summary, group="template", right="correct", ckpt="single-column",
                           groups={t["template"]: (t["examples"], t["correct"]) for t in summary["templates"]},
                           wrong=sum(not f["correct"] for f in found), example=lambda i, _result: examples[i])


def _wtq2017(ckpt_dir, tmp_path):
    out = tmp_path / "dev.jsonl"
    convert_file(SAMPLE, FIXTURE, out, purpose="eval")
    examples = list(read_jsonl(out))
    model, vocab, _ = wtq2017_checkpoint.load_checkpoint(real_tables.checkpoint_path())
    answers = answer_all(model, vocab, examples, beam=APP_BEAM)  # as Ask and the page decode
    want = score(examples, answers)
    by_id = {ex["id"]: ex for ex in examples}
    return SimpleNamespace(at=_evaluated_dev(), counts=want, group="program shape", right="right",
                           ckpt=checkpoints.REAL_ID, examples=examples, answers=answers, score=want,
                           groups={s: (v["total"], v["correct"]) for s, v in want["by_program_shape"].items()},
                           wrong=sum(not denotation_match(denotation(ex, a), ex["target"])
                                     for ex, a in zip(examples, answers, strict=True)),
                           example=lambda i, result: by_id[result.results[i]["id"]])


@pytest.fixture(params=[NP2016, WTQ2017])
def family(request, clean_training_registry, fixture_data, ckpt_dir, tmp_path):
    """(family, the page evaluated and the engine's figures for it)."""
    return request.param, {NP2016: _np2016, WTQ2017: _wtq2017}[request.param](ckpt_dir, tmp_path)


def _result(at, family: str):
    return at.session_state[state.WTQ_PROG_RESULT] if family == WTQ2017 else evaluation_of(at).result


def test_the_counts_and_groups_are_the_engines(family):
    family, want = family
    at = want.at
    assert programs.right_text(want.counts) in texts(at.subheader)
    groups = _frame(at, want.group)
    assert {row[want.group]: (row["examples"], row[want.right]) for _, row in groups.iterrows()} == want.groups
    assert sum(n for n, _ in want.groups.values()) == N


def test_only_wrong_answers_leave_the_wrong_ones(family):
    family, want = family
    look, at = LOOKS[family], want.at
    assert want.wrong, "the engine answers every question right: this test could not fail"
    at.toggle(key=look.only_wrong_key).set_value(True).run()
    groups = _frame(at, want.group)
    assert set(groups[want.group]) == {g for g, (n, right) in want.groups.items() if right < n}
    seen = 0
    for group in groups[want.group] if look.group_key else [None]:
        if group is not None:
            at.selectbox(key=look.group_key).set_value(group).run()
        options = at.selectbox(key=look.example_key).options
        assert options and all(o.startswith("✗") for o in options)
        seen += len(options)
    assert seen == want.wrong


def test_the_picked_example_opens_in_ask(family):
    family, want = family
    look, at = LOOKS[family], want.at
    picker = at.selectbox(key=look.example_key)
    picker.select_index(len(picker.options) - 1).run()  # not the first: the one picked is the one opened
    pick = at.selectbox(key=look.example_key).value
    example = want.example(pick, _result(at, family))
    at.button(key=look.opens[0][1]).click().run()
    assert not at.exception, at.exception
    assert at.session_state[state.QUESTION] == example["question"]
    assert list(at.session_state[state.TABLE].columns) == example["columns"]
    assert len(at.session_state[state.TABLE]) == len(example["rows"])
    assert at.session_state[state.CKPT] == want.ckpt


def test_a_dev_group_lists_its_questions_with_the_engines_answers(fixture_data, tmp_path):
    want = _wtq2017(None, tmp_path)
    at = want.at
    types = _frame(at, "answer type")
    assert {r["answer type"]: (r["questions"], r["right"]) for _, r in types.iterrows()} == {
        k: (v["total"], v["correct"]) for k, v in want.score["by_answer_type"].items()}
    shape = _frame(at, "program shape").iloc[0]["program shape"]  # the largest group
    assert at.selectbox(key=state.WTQ_PROG_SHAPE).value == shape
    members = _frame(at, "id")
    by_id = {ex["id"]: (ex, a) for ex, a in zip(want.examples, want.answers, strict=True)}
    assert len(members) == want.score["by_program_shape"][shape]["total"]
    for _, row in members.iterrows():
        ex, a = by_id[row["id"]]
        den = denotation(ex, a)
        assert row["answer"] == " | ".join(den) and row["question"] == ex["question"]
        assert row[""] == ("✓" if denotation_match(den, ex["target"]) else "✗")
    result = at.session_state[state.WTQ_PROG_RESULT].results[at.selectbox(key=state.WTQ_PROG_EXAMPLE).value]
    shown = texts(at.markdown)
    assert all(w in shown for w in result["words"]) and result["question"] in shown


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
    at = _evaluated_dev()
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
    assert DEV_RUN not in [b.key for b in at.button]


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
    assert "prog_run" in keys and DEV_RUN not in keys and OPEN_KEY not in keys
