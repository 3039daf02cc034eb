"""What the Programs page keeps of an evaluation: a few short fields per example, the summary tables, and the
full examples of at most PAGE_SIZE (the picker's page): 5,000 columns-10 examples are about 300 MB as Python
objects, 9 MB compact. An example's table is made again on demand: engine.np2016.data.tasks.generate is
deterministic in (task, split, n, seed), and each example made again is checked against what was kept of it.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import itertools
import json
import threading
import zlib
from dataclasses import dataclass, field
from typing import ClassVar

from engine.families import NP2016
from engine.np2016.data import tasks as data
from explorer import escape, programs
from explorer.tables import cell_text

PAGE_SIZE = 50  # examples per page of the picker; at most this many tables are kept
SPLIT = "test"
SHOWN_CELLS = 6  # row numbers named in the text of a cells answer
# one regeneration at a time in the server: each one briefly holds up to n examples (300 MB at 5,000)
_regenerating = threading.Lock()


try:
    _LIBC = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
except OSError:
    _LIBC = None


def release_memory() -> None:
    """Hand the heap freed by a test set back to the system. glibc keeps the emptied pages of a thread's arena
    (a table's list of rows is one malloc block); malloc_trim returns them: about 25 MB after 5,000 columns-10
    examples (benchmarks/programs_memory.py, --mode after-no-trim to compare)."""
    trim = getattr(_LIBC, "malloc_trim", None)
    if trim is not None:
        trim(0)


class RegenerationError(RuntimeError):
    """An example made again is not the one evaluated (the generator changed under the server)."""


def answer_check(answer) -> int:
    """A checksum of an answer: a cells answer lists up to a table's every row, too much to keep."""
    return zlib.crc32(repr(answer).encode())


def answer_text(answer: dict, rows: list[list]) -> str:
    """The right answer in a few words: the number, or the first cells' text (and how many there are)."""
    if "scalar" in answer:
        return f"{answer['scalar']:g}"
    cells = answer["cells"]
    shown = ", ".join(cell_text(rows[r][c]) or "(empty)" for r, c in cells[:SHOWN_CELLS])
    return (shown + (f", … ({len(cells)} cells)" if len(cells) > SHOWN_CELLS else "")) if cells else "no cells"


def compact(example: dict, found: dict) -> dict:
    """What the page draws of one example (`found`: one item of explorer.programs.induced_programs)."""
    return {"question": example["question"], "answer": answer_text(example["answer"], example["rows"]),
            "answer_check": answer_check(example["answer"]), "template": example.get("program"),
            "n_rows": len(example["rows"]), "n_columns": len(example["columns"]), "induced": found["program"],
            "correct": found["correct"], "program_check": found["program_check"]}


def summary_key(example: dict) -> dict:
    """The fields of an example that explorer.programs.summarise reads (its table left out)."""
    return {"columns": example["columns"], "program": example.get("program"), "template": example.get("template")}


def pack(batch: list[dict], found: list[dict]) -> str:
    """A batch's compact fields in one string: [compact, summary_key, found] per example, unpacked once the test
    set is gone (objects made while the tables live would pin the allocator arenas they share with them)."""
    return json.dumps([[compact(ex, f), summary_key(ex), f] for ex, f in zip(batch, found, strict=True)])


def generate_prefix(task: str, n: int, seed: int, count: int) -> list[dict]:
    """At least the first `count` of data.generate(task, "test", n, seed), made by that very call (the same n: how
    many shuffles of the templates come first depends on n), ended early by its `stop` callback.

    generate asks `stop` before every data.STOP_CHECK_EVERY-th example; the k-th question (from 0) comes once
    k * STOP_CHECK_EVERY examples are made."""
    asked = itertools.count()
    with _regenerating:
        return data.generate(task, SPLIT, n, seed, stop=lambda: next(asked) * data.STOP_CHECK_EVERY >= count)


def _same(example: dict, record: dict) -> bool:
    return example["question"] == record["question"] and answer_check(example["answer"]) == record["answer_check"]


@dataclass
class Result:
    """An evaluation's compact result: `records` (one compact() per example, in order), `summary`
    (explorer.programs.summarise) and `page` (index -> full example, at most PAGE_SIZE of them)."""

    family: ClassVar[str] = NP2016
    notes: ClassVar[tuple] = ()
    problems: ClassVar[tuple] = ()
    ckpt: str
    task: str
    n: int
    seed: int
    summary: dict
    records: list[dict]
    page: dict[int, dict] = field(default_factory=dict)

    @property
    def heading(self) -> str:
        return f"{escape.md(self.ckpt)} on {self.task}: {programs.right_text(self.summary)}"

    @property
    def metrics(self) -> list[tuple[str, str, str | None]]:
        s = self.summary
        return [("Right answers", f"{s['correct']} of {s['total']}", None),
                ("Right, right program", str(s[programs.RIGHT_PROGRAM]),
                 "A right answer from the grammar's own program (the same answer on every table)."),
                ("Right answer, wrong program", str(s[programs.WRONG_PROGRAM]), "A right answer by luck: the program "
                 "differs from the grammar's and would answer another table wrongly.")]

    @property
    def chart(self) -> list[dict]:
        return self.summary["patterns"]

    def groups(self, only_wrong: bool) -> list[dict]:
        return programs.with_errors(self.summary["templates"]) if only_wrong else self.summary["templates"]

    def more(self, only_wrong: bool) -> list[tuple[str, list[dict], str]]:
        rows = programs.with_errors(self.summary["programs"]) if only_wrong else self.summary["programs"]
        return [(f"All induced programs per template ({len(rows)})", rows, "prog_programs")]

    def pool(self, only_wrong: bool, group: str | None = None) -> list[int]:
        return [i for i, r in enumerate(self.records) if not (only_wrong and r["correct"])]

    def label(self, index: int) -> str:
        """A picker line: right or wrong, the example's number, its question and the program induced for it."""
        r = self.records[index]
        return f"{programs.mark(r['correct'], r['program_check'])} #{index}: {r['question']}  →  {r['induced']}"

    def detail(self, index: int) -> tuple[list[str], str, None]:
        r = self.records[index]
        return [], (f"Right answer: {r['answer']} · template: {r['template']} · table {r['n_rows']} rows × "
                    f"{r['n_columns']} columns"), None

    def opening(self, index: int, shown: list[int]) -> tuple[dict, str, str]:
        """(the example made again, the checkpoint, where it comes from); RegenerationError when it cannot be."""
        return self.example(index, shown), self.ckpt, f"{self.task} test example #{index}"

    def tables_kept(self) -> int:
        return len(self.page) + sum("rows" in r for r in self.records)

    def example(self, index: int, shown: list[int]) -> dict:
        """The full example `index` (table included). When it is not kept, the examples `shown` with it (the
        picker's page, at most PAGE_SIZE) are made again and kept instead of the page kept before."""
        kept = self.page.get(index)
        if kept is not None:
            return kept
        wanted = sorted({index, *[i for i in shown if i != index][: PAGE_SIZE - 1]})
        fresh = generate_prefix(self.task, self.n, self.seed, wanted[-1] + 1)
        if len(fresh) <= wanted[-1] or not all(_same(fresh[i], self.records[i]) for i in wanted):
            with _regenerating:  # the prefix did not match: the whole set, exactly as it was evaluated
                fresh = data.generate(self.task, SPLIT, self.n, self.seed)
        if not all(_same(fresh[i], self.records[i]) for i in wanted):
            raise RegenerationError(f"example #{index} of {self.task} (seed {self.seed}) cannot be made again")
        self.page = {i: fresh[i] for i in wanted}  # one assignment: a reader sees the old page or the new one
        del fresh
        release_memory()
        return self.page[index]


def unpack(ckpt: str, task: str, n: int, seed: int, packed: list[str]) -> Result:
    """The Result of the packed batches (call it once the test set is gone)."""
    rows = [row for text in packed for row in json.loads(text)]  # [record, summary key, found] per example
    summary = programs.summarise([key for _, key, _ in rows], [found for _, _, found in rows])
    return Result(ckpt, task, n, seed, summary, [record for record, _, _ in rows])
