"""The 2017 model's induced programs on the WikiTableQuestions dev questions, for the Programs page.

The dev questions are read where the dataset is (real_tables.data_dir(); NPX_WTQ_DEV_TSV names the file) and
converted on the fly, never copied; engine.wtq2017.predict answers and scores them, and unreadable examples count
wrong, as `evaluate` counts them. No streamlit here; explorer/components/programs_view.py draws a DevResult.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

import pandas as pd

from engine.core.io.csv_table import InputError
from engine.core.io.examples import check_example
from engine.families import WTQ2017
from engine.wtq2017.dataset.convert import TableCache, convert_example
from engine.wtq2017.dataset.evaluator import denotation_match
from engine.wtq2017.dataset.tables import iter_questions
from engine.wtq2017.predict import answer_all, denotation, program_shape, score
from engine.wtq2017.trace import program_words
from explorer import escape, programs

DEV_TSV_NAME = Path("data") / "random-split-1-dev.tsv"
# measured: the whole dev split (2,831 questions) read in 20 s and answered in 196 s on this project's two CPU
# cores while they also trained; 500 questions take well under a minute
DEFAULT_LIMIT = 500
MAX_LIMIT = 5000
PROBLEMS_KEPT = 10
ABSENT = "The WikiTableQuestions dataset is not at"


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


@dataclass
class DevResult:
    """Every example's program, answer and verdict, the engine's score and the tables they were asked of.

    `results` holds, per example in order: id, question, table (the dataset's path of its table), shape,
    program (steps), words (the program in words), denotation, target (None without one) and correct
    (None without a target). `tables` maps a table path to its columns and rows, stored once."""

    family: ClassVar[str] = WTQ2017
    metrics: ClassVar[tuple] = ()
    chart: ClassVar[tuple] = ()
    results: list[dict]
    score: dict
    tables: dict
    unreadable: int = 0
    problems: list[str] = field(default_factory=list)
    tsv: str = ""
    limit: int = 0
    ckpt: str | None = None  # the checkpoint id an opened question is answered by

    @property
    def heading(self) -> str:
        return programs.right_text(self.score)

    @property
    def notes(self) -> list[str]:
        return [f"The first {self.limit:,} questions of {escape.md(self.tsv)}, scored by engine.wtq2017.predict"
                f".score. Unreadable examples count as wrong: {self.unreadable}."]

    def groups(self, only_wrong: bool) -> list[dict]:
        """One row per program shape, most frequent first (with only_wrong, those with a wrong answer)."""
        rows = [{"program shape": shape, "examples": s["total"], "right": s["correct"],
                 "wrong": s["total"] - s["correct"], "accuracy": s["accuracy"]}
                for shape, s in self.score.get("by_program_shape", {}).items()]
        return programs.with_errors(rows, "right") if only_wrong else rows

    def more(self, only_wrong: bool) -> list[tuple[str, list[dict], str]]:
        by_type = [{"answer type": k, "questions": v["total"], "right": v["correct"], "accuracy": v["accuracy"]}
                   for k, v in (self.score.get("by_answer_type") or {}).items()]
        return [("By answer type (as the converter typed the dataset's answers)", by_type, "real_prog_types")
                ] if by_type else []

    def pool(self, only_wrong: bool, group: str | None) -> list[int]:
        return [i for i, r in enumerate(self.results)
                if r["shape"] == group and not (only_wrong and r["correct"] is not False)]

    def members(self, pool: list[int]) -> list[dict]:
        return [{"": programs.mark(r["correct"]), "id": r["id"], "question": r["question"],
                 "answer": " | ".join(r["denotation"]), "dataset's answer": " | ".join(r["target"] or []),
                 "table": r["table"]} for r in (self.results[i] for i in pool)]

    def label(self, index: int) -> str:
        r = self.results[index]
        return f"{programs.mark(r['correct'])} {r['id']}: {r['question']}"

    def detail(self, index: int) -> tuple[list[str], str, pd.DataFrame]:
        """One question: its program in words, its answer beside the dataset's, and its table."""
        r = self.results[index]
        table = self.tables[r["table"]]
        verdict = {True: ":green[right]", False: ":red[wrong]"}.get(r["correct"], "no answer to compare with")
        return ([f"**{escape.md(r['question'])}** — {verdict}", "\n".join(f"- {escape.md(w)}" for w in r["words"]),
                 f"Answer: **{escape.md_join(r['denotation']) or '(none)'}** · the dataset's answer: "
                 f"**{escape.md_join(r['target'] or []) or '(none)'}**"],
                f"Table {escape.md(r['table'])} of WikiTableQuestions (CC BY-SA 4.0), {len(table['rows'])} rows × "
                f"{len(table['columns'])} columns.", pd.DataFrame(table["rows"], columns=table["columns"]))

    def opening(self, index: int, shown: list[int]) -> tuple[dict, str | None, str]:
        """(the question with its table, the checkpoint, where it comes from), for Ask."""
        r = self.results[index]
        table = self.tables[r["table"]]
        example = {"columns": table["columns"], "rows": table["rows"], "question": r["question"]}
        return example, self.ckpt, f"WikiTableQuestions {r['id']} (Wikipedia, CC BY-SA)"


def evaluate(model, vocab, examples: list[dict], unreadable: int = 0, on_batch: Callable[[int], None] | None = None,
             beam: int = 0, **kept) -> DevResult:  # kept: DevResult's other fields
    """The examples answered (with `beam`, execution-guided as Ask answers), grouped and scored."""
    answers = answer_all(model, vocab, examples, on_batch=on_batch, beam=beam)
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
    return DevResult(results, score(examples, answers, unreadable), tables, unreadable, **kept)
