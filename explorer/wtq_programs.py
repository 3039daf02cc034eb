"""The 2017 model's induced programs on the WikiTableQuestions dev split, for the Programs page.

The dev questions are read where the dataset is (explorer.real_tables.data_dir(), NPX_WTQ_DIR; the question
file itself can be named by NPX_WTQ_DEV_TSV, as the tests do with tests/fixtures/wtq) and converted on the
fly by the converter's own functions, so nothing of the dataset is copied into the project. They are
answered in batches by engine.wtq2017.predict.answer_all (the argmax program, as `evaluate` runs it), scored by
engine.wtq2017.predict.score (the benchmark's rules) and grouped by engine.wtq2017.predict.program_shape. Examples
that cannot be read (a missing or broken table) are counted wrong, as `evaluate` counts them.
Nothing here imports streamlit.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from engine.core.io.csv_table import InputError
from engine.core.io.examples import check_example
from engine.wtq2017.dataset.convert import TableCache, convert_example
from engine.wtq2017.dataset.evaluator import denotation_match
from engine.wtq2017.dataset.tables import iter_questions
from engine.wtq2017.predict import answer_all, denotation, program_shape, score
from engine.wtq2017.trace import program_words

DEV_TSV_NAME = Path("data") / "random-split-1-dev.tsv"
# measured: the whole dev split (2,831 questions) read in 20 s and answered in 196 s on this project's two CPU
# cores while they also trained; 500 questions take well under a minute
DEFAULT_LIMIT = 500
MAX_LIMIT = 5000
PROBLEMS_KEPT = 10


def dev_tsv(data_dir: Path) -> Path:
    """The dev questions: NPX_WTQ_DEV_TSV, else data/random-split-1-dev.tsv inside the dataset folder."""
    return Path(os.environ.get("NPX_WTQ_DEV_TSV") or Path(data_dir) / DEV_TSV_NAME)


def read_examples(tsv: Path, tables_dir: Path, limit: int) -> tuple[list[dict], list[str], int]:
    """(converted examples, problems, unreadable) of the first `limit` questions of a question TSV whose tables
    are under `tables_dir`. An InputError about the file itself (missing, no header) is raised."""
    cache = TableCache(Path(tables_dir))
    examples, problems, unreadable = [], [], 0
    for n, q in enumerate(iter_questions(Path(tsv))):
        if n == limit:
            break
        try:
            ex = convert_example(q, cache.get(q.context))
            check_example(ex, f"{q.id}")
        except InputError as e:
            unreadable += 1
            if len(problems) < PROBLEMS_KEPT:
                problems.append(f"{q.id}: {e}")
            continue
        examples.append(ex)
    return examples, problems, unreadable


def evaluate(model, vocab, examples: list[dict], unreadable: int = 0,
             on_batch: Callable[[int], None] | None = None) -> dict:
    """Every example's program, answer and verdict, the engine's score and the tables they were asked of.

    "results" holds, per example in order: id, question, table (the dataset's path of its table), shape,
    program (steps), words (the program in words), denotation, target (None without one) and correct
    (None without a target). "tables" maps a table path to its columns and rows, stored once."""
    answers = answer_all(model, vocab, examples, on_batch=on_batch)
    results, tables = [], {}
    for ex, answer in zip(examples, answers, strict=True):
        table = ex["wtq"].get("table") or ex["id"]
        tables.setdefault(table, {"columns": ex["columns"], "rows": ex["rows"]})
        den = denotation(ex, answer)
        target = list(ex["target"]) if "target" in ex else None
        results.append({
            "id": ex["id"], "question": ex["question"], "table": table,
            "shape": program_shape(answer["program"]), "program": answer["program"],
            "words": program_words(answer["program"], ex["columns"]),
            "denotation": den, "target": target,
            "correct": None if target is None else bool(denotation_match(den, target)),
        })
    return {"results": results, "score": score(examples, answers, unreadable), "tables": tables,
            "unreadable": unreadable}


def shape_groups(evaluation: dict, only_wrong: bool = False) -> list[dict]:
    """One row per program shape, most frequent first, from the engine's score: shape, examples, right,
    wrong and accuracy. With only_wrong, the shapes that have a wrong answer."""
    rows = [{"program shape": shape, "examples": s["total"], "right": s["correct"],
             "wrong": s["total"] - s["correct"], "accuracy": s["accuracy"]}
            for shape, s in evaluation["score"].get("by_program_shape", {}).items()]
    return [r for r in rows if r["wrong"]] if only_wrong else rows


def in_group(evaluation: dict, shape: str, only_wrong: bool = False) -> list[int]:
    """Indices (into "results") of the examples whose program has this shape; with only_wrong, the wrong ones."""
    return [i for i, r in enumerate(evaluation["results"])
            if r["shape"] == shape and not (only_wrong and r["correct"] is not False)]


def verdict(result: dict) -> str:
    """✓ right, ✗ wrong, or ? (no target to compare with)."""
    return {True: "✓", False: "✗"}.get(result["correct"], "?")
