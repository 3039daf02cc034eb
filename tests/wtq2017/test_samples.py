"""The WikiTableQuestions sample tables (sample_tables/wtq_*.csv, explorer/real_table_samples.py): each loads as a
usable table, says where it comes from and its licence, and the shipped 2017 checkpoint answers every
suggested question and every lesson question with a full program, without an error."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest

from engine.wtq2017.checkpoint import SHIPPED, load_checkpoint
from engine.wtq2017.dataset.evaluator import to_value
from engine.wtq2017.trace import ask_table
from explorer import real_table_samples, tables

ROOT = Path(__file__).resolve().parents[2]
SHIPPED_WTQ = SHIPPED
README = (ROOT / "sample_tables" / "README.md").read_text(encoding="utf-8")


@cache
def _model():
    return load_checkpoint(SHIPPED_WTQ)


@pytest.mark.parametrize("sample_id", list(real_table_samples.SAMPLES))
def test_each_wtq_table_loads_with_its_source_and_licence(sample_id):
    sample = real_table_samples.SAMPLES[sample_id]
    df = tables.load_sample(sample_id)
    assert 0 < len(df) <= tables.MAX_ROWS and not tables.problems(df)
    assert tables.list_samples()[sample_id] == sample.label and "CC BY-SA" in sample.label
    source = real_table_samples.source_markdown(sample_id)
    assert sample.path in source and real_table_samples.LICENCE in source and "WikiTableQuestions" in source
    assert f"`{sample_id}.csv`" in README and f"`{sample.path}`" in README  # the README's table lists it
    assert len(sample.questions) >= 2 and real_table_samples.suggested_questions(sample_id) == list(sample.questions)


def test_the_licence_travels_with_the_tables():
    text = (ROOT / "sample_tables" / "WTQ-LICENSE.txt").read_text(encoding="utf-8")
    assert text.startswith("Attribution-ShareAlike 4.0 International")
    assert "CC BY-SA 4.0" in README and "Pasupat" in README
    assert real_table_samples.source_markdown("shop_sales") == ""
    assert real_table_samples.suggested_questions("league") == []
    assert not real_table_samples.is_wtq("shop_sales") and real_table_samples.is_wtq("wtq_medal_table")


SUGGESTED = [(s, q) for s, v in real_table_samples.SAMPLES.items() for q in v.questions]


@pytest.mark.parametrize("sample_id, question", SUGGESTED)
def test_the_2017_model_answers_each_suggested_question(sample_id, question):
    model, vocab, _ = _model()
    columns, rows = tables.to_engine(tables.load_sample(sample_id))
    trace = ask_table(model, vocab, columns, rows, question)
    assert len(trace["steps"]) == model.config.T == len(trace["program_text"])
    assert trace["answer"]["kind"] in ("scalar", "cells", "none")
    assert all(isinstance(d, str) for d in trace["extra"]["denotation"])


@pytest.mark.parametrize("lesson", real_table_samples.LESSON_QUESTIONS, ids=lambda q: q.sample)
def test_each_lesson_question_can_be_answered_from_its_table(lesson):
    assert lesson.question in real_table_samples.suggested_questions(lesson.sample)
    assert len(lesson.paper_program) == 4 and lesson.note
    df = tables.load_sample(lesson.sample)
    cells = {str(v) for col in df.columns for v in df[col] if v is not None}
    for item in lesson.answer:  # a cell to print, or a number a count can give
        assert item in cells or to_value(item).kind == "number", item
