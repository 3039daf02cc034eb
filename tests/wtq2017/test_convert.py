"""wtq-convert on real WikiTableQuestions tables and questions (tests/fixtures/wtq, attributed there).

Expected values are worked out by hand from the fixture tables (comments say how)."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest

from engine.cli.main import main
from engine.core.io.examples import InputError, read_jsonl
from engine.wtq2017.dataset.convert import convert_file, report_path
from engine.wtq2017.dataset.tables import read_wtq_table, table_path, unescape, unescape_list
from engine.wtq2017.dataset.values import cell_number, date_number, tokens, whole_date, whole_number

FIXTURE = Path(__file__).parents[1] / "fixtures" / "wtq"
SAMPLE = FIXTURE / "data" / "sample.tsv"


@pytest.fixture(scope="module")
def converted(tmp_path_factory) -> dict[str, dict]:
    out = tmp_path_factory.mktemp("wtq") / "sample.jsonl"
    convert_file(SAMPLE, FIXTURE, out, purpose="eval")
    return {ex["id"]: ex for ex in read_jsonl(out)}  # the engine's own reader accepts every line


# ----------------------------------------------------------------------------- values and tables

def test_numbers_and_dates_in_cells():
    assert whole_number("7,169") == 7169 and whole_number("1,5") is None and whole_number("4th") is None
    assert whole_date("March 4, 1803") == (1803, 3, 4)
    assert whole_date("4 March 1803") == (1803, 3, 4)
    assert whole_date("July 1890") == (1890, 7, -1)
    assert whole_date("7-1") is None  # a score, not a date
    assert date_number((1803, 3, 4)) == 18030304 and date_number((1990, -1, -1)) == 1990
    assert cell_number("4th, Western") == 4  # the first number in a text cell
    assert cell_number("Did not qualify") is None


def test_tokens_keep_numbers_whole_and_fold_accents():
    assert tokens("How many had 1,500 in Zürich's USL A-League?") == [
        "how", "many", "had", "1,500", "in", "zurich", "'s", "usl", "a", "-", "league", "?"]


def test_tsv_escapes():
    assert unescape(r"a\nb\pc\\d") == "a\nb|c\\d"
    assert unescape(r"\\p") == "\\p"  # an escaped backslash then a plain p
    assert unescape_list(r"x|y\pz") == ["x", "y|z"]


def test_csv_fallback_and_blank_header():
    table = read_wtq_table(FIXTURE / "csv" / "203-csv" / "705.csv")  # no .tsv beside it
    assert table.columns[:3] == ["column 1", "Name", "Took office"]  # the blank first name is renamed
    assert table.rows[0][:3] == ["11", "William McCreery", "March 4, 1803"]
    assert len(table.rows) == 7 and table.rows[0][5] is None  # empty Notes cell


def test_tsv_and_csv_of_one_table_agree():
    path = FIXTURE / "csv" / "204-csv" / "590.csv"
    tsv = read_wtq_table(path)  # read from the .tsv beside it
    with open(path, encoding="utf-8") as f:
        records = list(csv.reader(f, escapechar="\\", doublequote=False))
    assert tsv.columns == records[0] and tsv.rows == [[c or None for c in r] for r in records[1:]]


def test_a_table_path_may_not_leave_the_tables_directory(tmp_path):
    tsv = tmp_path / "q.tsv"
    tsv.write_text("id\tutterance\tcontext\ttargetValue\nx-1\twhat?\t../../etc/passwd\t1\n", encoding="utf-8")
    report = convert_file(tsv, FIXTURE, tmp_path / "out.jsonl", purpose="eval")
    assert report["dropped"] == {"unreadable": 1} and "leaves the tables directory" in report["problems"][0]


# ----------------------------------------------------------------------------- question features

def test_exact_entry_match_anonymises_the_span(converted):
    w = converted["nt-2"]["wtq"]  # "which team won previous to crettyard?"; Crettyard is row 6 of Team
    assert w["entry_match"] == [[6, 0]] and w["entry_match_kind"] == "exact"
    assert w["entry_match_count"] == [1, 0, 0, 0]
    assert w["anonymised"] == [[5, 6]] and w["words"][5] == "<unk>"
    assert w["column_match"] == [1, 0, 0, 0]  # "team" names column 0
    assert w["words"][-2:] == ["<entry_match>", "<column_match>"]


def test_number_column_cells_match_question_numbers(converted):
    w = converted["nt-1135"]["wtq"]  # "... what team that won in 2009?": 2009 is row 2 of "Years won"
    assert [2, 3] in w["entry_match"] and [1, 0] in w["entry_match"]  # and "ballymore eustace"
    assert w["numbers"] == [2009] and w["words"][w["number_positions"][0]] == "in"


def test_question_numbers_and_pivot_positions(converted):
    w = converted["nt-5"]["wtq"]  # "how many people stayed at least 3 years in office?"
    assert w["numbers"] == [3]
    assert w["words"][:7] == ["how", "many", "people", "stayed", "at", "least", "years"]
    assert w["number_positions"] == [5]  # the token before 3: "least"


def test_partial_entry_match_only_without_an_exact_one(converted):
    w = converted["nt-10652"]["wtq"]  # "passengers in phoenix arizona": cell "United States, Phoenix"
    assert w["entry_match_kind"] == "partial" and w["entry_match"] == [[5, 1]]
    assert w["anonymised"] == []  # partial matches are not anonymised


def test_column_kinds_values_dates_and_most_frequent(converted):
    w = converted["nt-5414"]["wtq"]  # table 705: number, word, date, date, word, word columns
    assert w["column_kinds"] == ["number", "word", "word", "word", "word", "word"]
    assert w["cell_values"][0][:4] == [11, None, 18030304, 18090303]
    assert [0, 2, 1803, 3, 4] in w["cell_dates"]
    # Party: "Democratic Republican" in rows 0-3; the first column: 14 in rows 3-5
    assert [[i, 4] for i in range(4)] == [c for c in w["most_frequent"] if c[1] == 4]
    assert [[i, 0] for i in (3, 4, 5)] == [c for c in w["most_frequent"] if c[1] == 0]


# ----------------------------------------------------------------------------- answers

def test_answer_types(converted):
    types = {k: ex["wtq"]["answer_type"] for k, ex in converted.items()}
    assert types["nt-2"] == "word_lookup"  # Wolfe Tones is a cell
    assert types["nt-0"] == "number_lookup"  # 2004 is a cell of Year
    assert types["nt-3"] == "scalar"  # 12,467 is in no cell
    assert types["nt-5414"] == "word_lookup"  # "March 3, 1829" is a Left office cell
    assert types["nt-7263"] == "word_lookup"  # nine years, every one a cell
    assert types["nt-13397"] == "bad"  # "6 years": neither a cell nor a number
    assert types["nt-12971"] == "bad"  # "Calgary": the cell says "Canada, Calgary"
    assert converted["nt-13397"]["wtq"]["untrainable_reason"] == "answer_not_in_table"
    assert converted["nt-2"]["wtq"]["trainable"] and not converted["nt-13397"]["wtq"]["trainable"]


def test_answer_cells_and_scalars(converted):
    assert converted["nt-2"]["wtq"]["answer_cells"] == [[[7, 0]]] and converted["nt-2"]["answer"] == {
        "cells": [[7, 0]]}
    assert converted["nt-0"]["wtq"]["answer_scalar"] == 2004 and converted["nt-0"]["wtq"]["answer_cells"] == [
        [[3, 0]]]
    assert converted["nt-3"]["answer"] == {"scalar": 12467} and converted["nt-3"]["target"] == ["12,467"]
    assert converted["nt-5414"]["wtq"]["answer_cells"] == [[[5, 3]]]
    assert "answer" not in converted["nt-13397"]  # bad: kept for evaluation, nothing to train on
    assert len(converted["nt-7263"]["wtq"]["answer_cells"]) == 9


def test_eval_purpose_keeps_large_tables_with_their_answer_type(tmp_path):
    out = tmp_path / "eval.jsonl"
    report = convert_file(SAMPLE, FIXTURE, out, purpose="eval", max_rows=9)
    examples = {ex["id"]: ex for ex in read_jsonl(out)}
    w = examples["nt-0"]["wtq"]  # table 590 has 10 rows
    assert w["answer_type"] == "number_lookup" and w["untrainable_reason"] == "too_many_rows"
    assert report["written"] == 23 and report["written_trainable"] == {
        "trainable": 16, "answer_not_in_table": 2, "too_many_rows": 5}


def test_train_purpose_drops_and_counts(tmp_path):
    out = tmp_path / "train.jsonl"
    report = convert_file(SAMPLE, FIXTURE, out, purpose="train", max_rows=9)
    # 23 questions: 2 answers not in the table; table 590 has 10 rows (nt-0, nt-3941, nt-5408, nt-7941, nt-11831)
    assert report["read"] == 23 and report["written"] == 16
    assert report["dropped"] == {"answer_not_in_table": 2, "too_many_rows": 5}
    assert sum(report["answer_types"].values()) == 16 and "bad" not in report["answer_types"]
    assert json.loads(report_path(out).read_text())["dropped"] == report["dropped"]
    assert len(read_jsonl(out)) == 16


def questions_without_targets(tmp_path: Path) -> Path:
    """The sample's questions with the targetValue column left out (an unlabelled file, as a user's own)."""
    tsv = tmp_path / "questions.tsv"
    lines = SAMPLE.read_text(encoding="utf-8").splitlines()
    tsv.write_text("\n".join("\t".join(line.split("\t")[:3]) for line in lines) + "\n", encoding="utf-8")
    return tsv


def test_a_file_without_targets(tmp_path):
    tsv = questions_without_targets(tmp_path)
    report = convert_file(tsv, FIXTURE, tmp_path / "eval.jsonl", purpose="eval")
    examples = read_jsonl(tmp_path / "eval.jsonl")
    assert report["written"] == 23 and all("target" not in ex and "answer" not in ex for ex in examples)
    assert report["problems"] == []


def test_a_file_without_targets_is_converted_for_evaluation_even_for_training(tmp_path):
    # questions without answers cannot be trained on: the file is converted for predict, and the report says so
    tsv = questions_without_targets(tmp_path)
    report = convert_file(tsv, FIXTURE, tmp_path / "train.jsonl", purpose="train")
    assert report["purpose"] == "eval" and report["written"] == 23 and report["dropped"] == {}
    assert report["written_trainable"] == {"no_target": 23}
    assert "no targetValue column" in report["problems"][0] and "add targetValue" in report["problems"][0]
    assert read_jsonl(tmp_path / "train.jsonl") == read_jsonl(convert_file(
        tsv, FIXTURE, tmp_path / "eval.jsonl", purpose="eval")["output"])


def test_long_cells_are_cut_to_the_limit(tmp_path):
    (tmp_path / "csv" / "1-csv").mkdir(parents=True)
    (tmp_path / "csv" / "1-csv" / "0.tsv").write_text("Name\tNotes\nAda\t" + "x" * 1500 + "\n", encoding="utf-8")
    (tmp_path / "q.tsv").write_text("id\tutterance\tcontext\ttargetValue\nq1\twho?\tcsv/1-csv/0.csv\tAda\n")
    convert_file(tmp_path / "q.tsv", tmp_path, tmp_path / "o.jsonl")
    (ex,) = read_jsonl(tmp_path / "o.jsonl")
    assert len(ex["rows"][0][1]) == 1000 and ex["wtq"]["answer_cells"] == [[[0, 0]]]


# ----------------------------------------------------------------------------- command line

def test_cli_converts_and_reports(tmp_path, capsys):
    out = tmp_path / "o.jsonl"
    code = main(["wtq-convert", "--tsv", str(SAMPLE), "--tables", str(FIXTURE), "--output", str(out)])
    printed = capsys.readouterr().out
    assert code == 0 and "read 23 examples, wrote 21" in printed and "dropped (answer_not_in_table): 2" in printed
    assert report_path(out).is_file()


def test_cli_converts_a_file_without_targets_by_default(tmp_path, capsys):
    # no --purpose: the default (train) would keep nothing, so the questions are converted for evaluation
    out = tmp_path / "o.jsonl"
    code = main(["wtq-convert", "--tsv", str(questions_without_targets(tmp_path)), "--tables", str(FIXTURE),
                 "--output", str(out)])
    printed = capsys.readouterr()
    assert code == 0, printed.err
    assert "read 23 examples, wrote 23" in printed.out and "no example could be converted" not in printed.err
    assert "warning: " in printed.err and "no targetValue column" in printed.err and "predict" in printed.err
    assert len(read_jsonl(out)) == 23 and json.loads(report_path(out).read_text())["purpose"] == "eval"


def test_cli_default_tables_directory_is_the_tsv_folders_parent(tmp_path):
    out = tmp_path / "o.jsonl"
    assert main(["wtq-convert", "--tsv", str(SAMPLE), "--output", str(out), "--limit", "3"]) == 0
    assert len(read_jsonl(out)) == 3


def test_cli_bad_input_is_one_line_and_writes_nothing(tmp_path, capsys):
    bad = tmp_path / "bad.tsv"
    bad.write_text("id\tquestion\nx\ty\n", encoding="utf-8")
    out = tmp_path / "o.jsonl"
    assert main(["wtq-convert", "--tsv", str(bad), "--tables", str(FIXTURE), "--output", str(out)]) == 1
    assert "the header lacks utterance, context" in capsys.readouterr().err
    assert not out.exists()
    assert main(["wtq-convert", "--tsv", str(tmp_path / "none.tsv"), "--tables", str(FIXTURE),
                 "--output", str(out)]) == 1
    assert "file not found" in capsys.readouterr().err


def test_missing_tables_directory_is_refused(tmp_path):
    with pytest.raises(InputError, match="tables directory does not exist"):
        convert_file(SAMPLE, tmp_path / "nowhere", tmp_path / "o.jsonl")


def test_missing_table_counted_not_fatal(tmp_path):
    copy = tmp_path / "wtq"
    shutil.copytree(FIXTURE, copy)
    (copy / "csv" / "204-csv" / "772.csv").unlink()
    (copy / "csv" / "204-csv" / "772.tsv").unlink()
    report = convert_file(copy / "data" / "sample.tsv", copy, tmp_path / "o.jsonl", purpose="eval")
    assert report["dropped"] == {"unreadable": 7} and report["written"] == 16  # table 772 has 7 questions


def test_a_question_over_the_limits_is_counted_before_any_matching(tmp_path):
    tsv = tmp_path / "q.tsv"
    long_question = "which team " * 300  # 3,300 characters: over QUESTION_MAX_CHARS
    tsv.write_text(f"id\tutterance\tcontext\ttargetValue\nq1\t{long_question}\tcsv/204-csv/772.csv\tConfey\n",
                   encoding="utf-8")
    report = convert_file(tsv, FIXTURE, tmp_path / "o.jsonl", purpose="eval")
    assert report["dropped"] == {"unreadable": 1} and "line 2 (q1)" in report["problems"][0]
    assert "the limit is 2,000" in report["problems"][0]


def test_a_table_over_the_cell_limit_is_refused(tmp_path):
    path = tmp_path / "big.tsv"
    width = 100
    row = "\t".join(["1"] * width) + "\n"
    path.write_text("\t".join(f"c{j}" for j in range(width)) + "\n" + row * 2001, encoding="utf-8")
    with pytest.raises(InputError, match="200,000 cells"):
        read_wtq_table(path.with_suffix(".csv"))


def test_the_table_cache_is_bounded_by_cells():
    from engine.wtq2017.dataset.convert import TableCache

    cache = TableCache(FIXTURE, max_cells=100)  # 772: 9 x 4 = 36 cells; 590: 10 x 7 = 70; 515: 9 x 5 = 45
    cache.get("csv/204-csv/772.csv")
    cache.get("csv/204-csv/590.csv")  # 106 cells: 772 goes
    assert list(cache.items) == ["csv/204-csv/590.csv"] and cache.cells == 70
    cache.get("csv/203-csv/515.csv")  # 115 cells: 590 goes
    assert list(cache.items) == ["csv/203-csv/515.csv"] and cache.cells == 45
    with pytest.raises(InputError):
        cache.get("csv/9-csv/none.csv")
    assert cache.cells == 46


# ----------------------------------------------------------------------------- containment of the tables read

SECRET = "Secret\nleaked-row-7\n"  # a file outside the tables folder, in the WTQ .tsv table format


def _tables_with_secret(tmp_path) -> tuple[Path, Path]:
    """A copy of the fixture tables and, beside it, a file no question may read."""
    tables = tmp_path / "tables"
    shutil.copytree(FIXTURE, tables)
    secret = tmp_path / "secret.tsv"
    secret.write_text(SECRET, encoding="utf-8")
    return tables, secret


def _convert_one(tmp_path, tables: Path, context: str) -> tuple[dict, str]:
    tsv = tmp_path / "q.tsv"
    tsv.write_text(f"id\tutterance\tcontext\ttargetValue\nq1\twhat?\t{context}\tleaked-row-7\n", encoding="utf-8")
    out = tmp_path / "o.jsonl"
    report = convert_file(tsv, tables, out, purpose="eval")
    return report, out.read_text(encoding="utf-8")


@pytest.mark.parametrize("linked", [".tsv", ".csv"])
def test_a_table_file_linked_to_a_file_outside_the_tables_folder_is_refused(tmp_path, linked):
    tables, secret = _tables_with_secret(tmp_path)
    table = tables / "csv" / "204-csv" / "772"
    for suffix in (".tsv", ".csv"):
        table.with_suffix(suffix).unlink()
    table.with_suffix(linked).symlink_to(secret)
    report, written = _convert_one(tmp_path, tables, "csv/204-csv/772.csv")
    assert report["written"] == 0 and report["dropped"] == {"unreadable": 1}
    assert "the tables directory" in report["problems"][0] and "leaked-row-7" not in written


def test_a_symlinked_sibling_tsv_is_not_read_even_beside_a_good_csv(tmp_path):
    tables, secret = _tables_with_secret(tmp_path)
    table = tables / "csv" / "204-csv" / "772"
    table.with_suffix(".tsv").unlink()
    table.with_suffix(".tsv").symlink_to(secret)  # the .csv beside it is the real table
    report, written = _convert_one(tmp_path, tables, "csv/204-csv/772.csv")
    assert report["written"] == 0 and "outside the tables directory" in report["problems"][0]
    assert "leaked-row-7" not in written


@pytest.mark.parametrize("named, words", [
    (".", "names a directory"), ("", "is empty"), ("  ", "is empty"), ("csv", "names a directory"),
    ("csv/204-csv/..", "names a directory"), ("csv/204-csv", "names a directory"),
])
def test_a_context_naming_no_table_file_is_refused(tmp_path, named, words):
    """`.` once read tables.tsv, the file beside the tables folder; a directory is never a table."""
    tables, _ = _tables_with_secret(tmp_path)
    (tmp_path / "tables.tsv").write_text(SECRET, encoding="utf-8")
    (tables / "csv.tsv").write_text(SECRET, encoding="utf-8")
    report, written = _convert_one(tmp_path, tables, named)
    assert report["dropped"] == {"unreadable": 1} and words in report["problems"][0], report["problems"]
    assert "leaked-row-7" not in written
    with pytest.raises(InputError, match=words):
        table_path(tables, named)
