"""WikiTableQuestions -> our JSONL (`python -m engine wtq-convert`), with the 2017 pre-processing (spec §3.2).

Each line is an ordinary example plus "wtq", the block a 2017 model reads instead of re-parsing the table
(docs/wtq.md documents every field, what each purpose keeps and what the report counts; WTQ_FORMAT_VERSION
counts the block's changes). Examples that cannot be written at all (a missing or broken table, a question over
the engine's limits) are dropped and counted; a TSV without targetValue is always converted for evaluation."""

from __future__ import annotations

import json
import time
from collections import Counter, OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from engine.core.io.atomic import atomic_writer, write_atomic
from engine.core.io.csv_table import InputError
from engine.core.io.examples import check_example, check_question, dumps_example
from engine.core.limits import TABLE_MAX_ROWS
from engine.wtq2017.dataset.answers import ANSWER_TYPES, CellIndex, cell_index, type_answer
from engine.wtq2017.dataset.tables import QuestionRow, has_targets, iter_questions, read_wtq_table, table_path
from engine.wtq2017.features import (
    MAX_NUMBER_COLUMNS,
    MAX_WORD_COLUMNS,
    PAPER_PREPROCESSING,
    TableFeatures,
    question_features,
    table_features,
)

__all__ = ["WTQ_FORMAT_VERSION", "PURPOSES", "TRAIN_MAX_ROWS", "convert_example", "convert_file", "report_path"]

WTQ_FORMAT_VERSION = 1
PURPOSES = ("train", "eval")
TRAIN_MAX_ROWS = 100  # TF max_elements: larger tables are not trained on
# Prepared tables kept in memory, counted in cells: all of WTQ's 2,108 tables hold 365,176 cells (about 230 MB
# prepared, measured on random-split-1-train), so every WTQ split fits; a folder of huge tables cannot grow it.
TABLE_CACHE_CELLS = 500_000


@dataclass
class Prepared:
    features: TableFeatures
    index: CellIndex


class TableCache:
    """Prepared tables by path, least recently used dropped first once they hold more than `max_cells` cells;
    a table that failed keeps its error (one cell's worth)."""

    def __init__(self, tables_dir: Path, max_cells: int = TABLE_CACHE_CELLS):
        self.tables_dir, self.max_cells, self.cells = tables_dir, max_cells, 0
        self.root = tables_dir.resolve()
        self.items: OrderedDict[str, Prepared | InputError] = OrderedDict()

    @staticmethod
    def _size(item: Prepared | InputError) -> int:
        if isinstance(item, InputError):
            return 1
        table = item.features.table
        return max(1, len(table.rows) * len(table.columns))

    def get(self, context: str) -> Prepared:
        if context in self.items:
            self.items.move_to_end(context)
        else:
            try:
                table = read_wtq_table(table_path(self.tables_dir, context), max_rows=TABLE_MAX_ROWS,
                                       root=self.root)  # the file read, .tsv sibling included, stays inside
                feats = table_features(table)
                self.items[context] = Prepared(feats, cell_index(feats))
            except InputError as e:
                self.items[context] = e
            self.cells += self._size(self.items[context])
            while self.cells > self.max_cells and len(self.items) > 1:
                self.cells -= self._size(self.items.popitem(last=False)[1])
        item = self.items[context]
        if isinstance(item, InputError):
            raise item
        return item


def convert_example(q: QuestionRow, prepared: Prepared, max_rows: int = TRAIN_MAX_ROWS) -> dict:
    """One example as a JSONL object; wtq.trainable false, with wtq.untrainable_reason, when the 2017 recipe
    cannot train on it."""
    check_question(q.question, f"line {q.line} ({q.id})")  # limits first: a huge question is never matched
    feats = prepared.features
    table = feats.table
    qf = question_features(q.question, feats)
    ex = {"id": q.id, "question": q.question, "columns": table.columns, "rows": table.rows}
    wtq = {
        "version": WTQ_FORMAT_VERSION, "table": q.context,
        "column_kinds": feats.kinds, "model_columns": feats.model_columns,
        "column_tokens": [list(t) for t in feats.name_tokens],
        "cell_values": feats.values, "cell_dates": feats.dates, "most_frequent": feats.most_frequent,
        "tokens": qf.tokens, "words": qf.words, "numbers": qf.numbers, "number_positions": qf.number_positions,
        "entry_match": qf.entry_match, "entry_match_kind": qf.entry_match_kind,
        "entry_match_count": qf.entry_match_count,
        "column_match": qf.column_match, "column_match_kind": qf.column_match_kind, "anonymised": qf.anonymised,
    }
    if feats.preprocessing != PAPER_PREPROCESSING:  # the paper's matching is what a line without this field had
        wtq["preprocessing"] = feats.preprocessing.as_dict()
    reason = "no_target"  # why it cannot be trained on
    if q.target is not None:
        ex["target"] = q.target
        info = type_answer(q.target, prepared.index)
        wtq.update(answer_type=info.answer_type, answer_cells=info.answer_cells, answer_scalar=info.answer_scalar)
        if info.answer_type != "bad":
            ex["answer"] = info.answer_field()
        reason = info.bad_reason or ("too_many_rows" if len(table.rows) > max_rows else None)
    wtq["trainable"] = reason is None
    if reason is not None:
        wtq["untrainable_reason"] = reason
    ex["wtq"] = wtq
    return ex


def report_path(output: Path) -> Path:
    return output.with_name(output.name.removesuffix(".jsonl") + ".report.json")


def _purpose_for(tsv: Path, purpose: str) -> tuple[str, list[str]]:
    """(the purpose to convert for, the note saying why when it is not the one asked): questions without
    answers are only good for answering (predict), so training data cannot be made of them."""
    if purpose == "train" and not has_targets(tsv):
        return "eval", [f"{tsv} has no targetValue column (the answers): its questions were converted for "
                        "evaluation, as --purpose eval does, for predict to answer; add targetValue to train on them"]
    return purpose, []


def convert_file(tsv: Path, tables_dir: Path, output: Path, purpose: str = "train", max_rows: int = TRAIN_MAX_ROWS,
                 limit: int | None = None, progress: Callable[[int], None] | None = None) -> dict:
    """Convert a question TSV; writes `output` and its report atomically and returns the report. A TSV
    without targetValue is converted for evaluation whatever `purpose` says (_purpose_for)."""
    if purpose not in PURPOSES:
        raise ValueError(f"purpose must be one of {', '.join(PURPOSES)}, not {purpose!r}")
    if not Path(tables_dir).is_dir():
        raise InputError(f"{tables_dir}: the tables directory does not exist (it holds csv/xxx-csv/yyy.csv)")
    start = time.perf_counter()
    purpose, problems = _purpose_for(Path(tsv), purpose)
    cache = TableCache(Path(tables_dir))
    read = written = 0
    dropped, types, untrainable, matches, numbers = Counter(), Counter(), Counter(), Counter(), Counter()
    tables = set()
    with atomic_writer(output) as f:
        for q in iter_questions(Path(tsv)):
            if limit is not None and read == limit:
                break
            read += 1
            tables.add(q.context)
            try:
                ex = convert_example(q, cache.get(q.context), max_rows)
                check_example(ex, f"{tsv}, line {q.line} ({q.id})")
            except InputError as e:
                dropped["unreadable"] += 1
                if len(problems) < 20:
                    problems.append(str(e))
            else:
                w = ex["wtq"]
                reason = w.get("untrainable_reason")
                if reason is not None and purpose == "train":
                    dropped[reason] += 1
                else:
                    types[w.get("answer_type", "no_target")] += 1
                    untrainable[reason or "trainable"] += 1
                    matches[f"entries {w['entry_match_kind']}, names {w['column_match_kind']}"] += 1
                    numbers[min(len(w["numbers"]), 3)] += 1
                    f.write(dumps_example(ex) + "\n")
                    written += 1
            if progress is not None:
                progress(read)
    report = {
        "tsv": str(tsv), "tables_dir": str(tables_dir), "output": str(output), "purpose": purpose,
        "format_version": WTQ_FORMAT_VERSION, "read": read, "written": written,
        "dropped": dict(sorted(dropped.items())), "answer_types": dict(sorted(types.items())),
        "written_trainable": dict(sorted(untrainable.items())),
        "written_matches": dict(sorted(matches.items())),
        "written_question_numbers": {("3 or more" if k == 3 else str(k)): numbers[k] for k in sorted(numbers)},
        "limits": {"train_max_rows": max_rows, "max_number_columns": MAX_NUMBER_COLUMNS,
                   "max_word_columns": MAX_WORD_COLUMNS},
        "tables": len(tables), "seconds": round(time.perf_counter() - start, 2),
        "problems": problems, "answer_type_names": list(ANSWER_TYPES),
    }
    write_atomic(report_path(Path(output)), json.dumps(report, indent=2) + "\n")
    return report
