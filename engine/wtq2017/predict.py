"""Answers of a 2017 model as denotations (the strings the benchmark compares), and their accuracy (`score`,
engine/wtq2017/dataset/evaluator.py, with the breakdowns RESULTS.md shows). `from_table` reads any table and
question through the converter's own pre-processing, so a question typed in the app and a line of a WTQ split
are read the same way. A prediction never reads `target` or `answer`."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable

from engine.wtq2017.batch import encode_batch
from engine.wtq2017.dataset.answers import CellIndex, cell_index
from engine.wtq2017.dataset.convert import Prepared, convert_example
from engine.wtq2017.dataset.evaluator import accuracy_by, denotation_accuracy, denotation_match
from engine.wtq2017.dataset.tables import QuestionRow, WtqTable
from engine.wtq2017.features import PAPER_PREPROCESSING, Preprocessing, TableFeatures, table_features

_LOCK = threading.Lock()

__all__ = ["from_table", "with_wtq", "read_examples", "answer_all", "denotation", "program_shape", "score"]


def _cell_text(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


# Prepared tables of recent questions: the app asks many questions about one table, and the table's features
# (numbers, dates, tokens, most frequent entries) are most of the time of one question on 100 rows
_PREPARED: OrderedDict[tuple, tuple[TableFeatures, CellIndex | None]] = OrderedDict()
PREPARED_TABLES = 8


def _prepared(columns: tuple, rows: tuple, need_index: bool, preprocessing: Preprocessing) -> Prepared:
    key = (columns, rows, preprocessing)
    feats, index = _PREPARED.pop(key, (None, None))
    if feats is None:
        feats = table_features(WtqTable(columns=list(columns), rows=[list(r) for r in rows]), preprocessing)
    if need_index and index is None:  # the answer typing's index, only for examples with a target
        index = cell_index(feats)
    _PREPARED[key] = (feats, index)
    while len(_PREPARED) > PREPARED_TABLES:
        _PREPARED.popitem(last=False)
    return Prepared(feats, index)


def from_table(columns: list[str], rows: list[list], question: str, target: list[str] | None = None,
               example_id: str = "q", preprocessing: Preprocessing = PAPER_PREPROCESSING) -> dict:
    """A converted example (docs/wtq.md) for a table of any cells (numbers become their text) and a question,
    matched as `preprocessing` says. With `target` (answer strings) the example is typed for training as the
    converter types WTQ's."""
    key_columns = tuple(str(c) for c in columns)
    key_rows = tuple(tuple(_cell_text(v) for v in row) for row in rows)
    with _LOCK:  # the app's sessions are threads
        prepared = _prepared(key_columns, key_rows, target is not None, preprocessing)
    return convert_example(QuestionRow(0, example_id, question, "user table", target), prepared)


def _answer_strings(ex: dict) -> list[str] | None:
    """The answer of an example as strings: its "target", else its generic "answer" ({"scalar": y} or
    {"cells": [[r, c], ...]}, read as the cells' text), else None."""
    if "target" in ex:
        return [str(t) for t in ex["target"]]
    answer = ex.get("answer")
    if isinstance(answer, dict) and "scalar" in answer:
        return [number_text(float(answer["scalar"]))]
    if isinstance(answer, dict) and "cells" in answer:
        return [_cell_text(ex["rows"][r][c]) or "" for r, c in answer["cells"]]
    return None


def with_wtq(ex: dict, preprocessing: Preprocessing = PAPER_PREPROCESSING) -> dict:
    """The example itself when it carries a wtq block made with `preprocessing` (wtq-convert's lines are made as the
    paper does), else converted here: any JSONL example of ours (table, question and, for training, a target or an
    answer) reads like a WTQ line, and a WTQ line is matched again for a model with other switches."""
    wtq = ex.get("wtq")
    if isinstance(wtq, dict) and wtq.get("preprocessing", PAPER_PREPROCESSING.as_dict()) == preprocessing.as_dict():
        return ex
    converted = from_table(ex["columns"], ex["rows"], ex["question"], _answer_strings(ex), str(ex.get("id", "q")),
                           preprocessing)
    if isinstance(wtq, dict):
        converted["wtq"]["table"] = wtq.get("table", converted["wtq"]["table"])
    return {**ex, **{k: converted[k] for k in ("wtq", "rows", "columns")},
            **({"target": converted["target"]} if "target" in converted else {})}


def number_text(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def denotation(example: dict, answer: dict) -> list[str]:
    """The answer as the benchmark's strings: the printed cells' original text in row order (an empty cell
    as ""), the count as a number, [] when the program ends without an answer."""
    if answer["kind"] == "scalar":
        return [number_text(answer["value"])]
    if answer["kind"] == "cells":
        return [example["rows"][r][c] or "" for r, c in answer["cells"]]
    return []


def answer_all(model, vocab, examples: list[dict], batch_size: int = 64, device=None, on_batch=None,
               beam: int = 0) -> list[dict]:
    """The hard answer (engine.wtq2017.model.hard_answer; with `beam`, execution-guided) of every example, in
    batches; only the question and the table are read. `on_batch(done)` after each batch."""
    answers: list[dict] = []
    preprocessing = model.config.preprocessing
    for start in range(0, len(examples), batch_size):  # hard_answer runs in eval mode and restores the mode
        chunk = [with_wtq(ex, preprocessing) for ex in examples[start:start + batch_size]]
        batch = encode_batch([_without_targets(ex) for ex in chunk], vocab, model.config)
        answers.extend(model.hard_answer(batch if device is None else batch.to(device), beam=beam,
                                         rows=[ex["rows"] for ex in chunk]))
        if on_batch is not None:
            on_batch(len(answers))
    return answers


def _without_targets(ex: dict) -> dict:
    """The example as a prediction may see it: no target, no answer, no answer typing."""
    wtq = {k: v for k, v in ex["wtq"].items() if k not in ("answer_type", "answer_cells", "answer_scalar")}
    wtq["trainable"] = False
    return {k: v for k, v in ex.items() if k not in ("target", "answer")} | {"wtq": wtq}


def program_shape(program: list[dict]) -> str:
    """The operations of a program with reset steps left out, e.g. "select → print" (the Programs page's
    grouping and RESULTS.md's "by operation")."""
    ops = [step["op"] for step in program if step["op"] != "reset"]
    return " → ".join(ops) if ops else "reset"


def score(examples: Iterable[dict], answers: list[dict], unreadable: int = 0) -> dict:
    """Accuracy by the benchmark's rules, overall, by answer type, by last operation and by program shape."""
    scored, by_op, by_shape = [], [], []
    for ex, answer in zip(examples, answers, strict=True):
        if "target" not in ex:
            continue
        den = denotation(ex, answer)
        scored.append({**ex, "denotation": den})
        right = denotation_match(den, list(ex["target"]))
        last = next((s["op"] for s in reversed(answer["program"]) if s["op"] != "reset"), "reset")
        by_op.append((last, right))
        by_shape.append((program_shape(answer["program"]), right))
    result = denotation_accuracy(scored, unreadable)
    for name, pairs in (("by_final_operation", by_op), ("by_program_shape", by_shape)):
        result[name] = dict(sorted(accuracy_by(pairs).items(), key=lambda kv: -kv[1]["total"]))
    return result


def read_examples(path: str, what: str, preprocessing: Preprocessing = PAPER_PREPROCESSING) -> list[dict]:
    """The examples of a JSONL file, each with a wtq block made with `preprocessing` (converted here when it has
    none or another)."""
    from engine.core.io.csv_table import InputError
    from engine.core.io.examples import read_jsonl
    from engine.core.limits import DATA_MAX_BYTES, DATA_MAX_EXAMPLES

    examples = read_jsonl(path, limit=DATA_MAX_EXAMPLES, max_bytes=DATA_MAX_BYTES)
    out = []
    for n, ex in enumerate(examples, start=1):
        try:
            out.append(with_wtq(ex, preprocessing))
        except (InputError, ValueError) as e:
            raise InputError(f"{path}, example {n} ({what}): {e}") from e
    return out
