"""Answer typing for training (spec §3.2, TF answer_classification), with the evaluator's own matching instead of
TF's precomputed file, so a lookup target is exactly what a correct print would produce (docs/wtq.md, choice 11).

Every item in some model-column cell -> `number_lookup` (a single number) or `word_lookup`; else a single
number -> `scalar` (only count can produce it); else `bad` (`answer_not_in_table`: dropped from training, counted
wrong in evaluation). `answer_cells[k]` lists item k's cells (the lookup loss takes a minimum over them);
`answer_scalar` is a single-number answer's number, whatever its type (number lookups train on both losses)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from engine.wtq2017.dataset.evaluator import NUMBER_TOLERANCE, WtqValue, to_value, to_values
from engine.wtq2017.features import TableFeatures

__all__ = ["CellIndex", "cell_index", "AnswerInfo", "type_answer", "ANSWER_TYPES"]

ANSWER_TYPES = ("scalar", "number_lookup", "word_lookup", "bad")


@dataclass
class CellIndex:
    """The model columns' cells as the evaluator sees them, indexed for matching answer items."""

    by_text: dict[str, list[tuple[int, int]]] = field(default_factory=lambda: defaultdict(list))
    by_date: dict[tuple, list[tuple[int, int]]] = field(default_factory=lambda: defaultdict(list))
    numbers: list[tuple[float, tuple[int, int]]] = field(default_factory=list)


def cell_index(feats: TableFeatures) -> CellIndex:
    index = CellIndex()
    for i, row in enumerate(feats.table.rows):
        for j in feats.model_columns:
            if row[j] is None:
                continue
            value = to_value(row[j])
            index.by_text[value.normalized].append((i, j))
            if value.kind == "number":
                index.numbers.append((value.amount, (i, j)))
            elif value.kind == "date":
                index.by_date[value.ymd].append((i, j))
    return index


def _cells_for(item: WtqValue, index: CellIndex) -> list[list[int]]:
    found = set(index.by_text.get(item.normalized, ()))
    if item.kind == "number":
        found.update(cell for amount, cell in index.numbers if abs(amount - item.amount) < NUMBER_TOLERANCE)
    elif item.kind == "date":
        found.update(index.by_date.get(item.ymd, ()))
    return sorted([i, j] for i, j in found)


@dataclass
class AnswerInfo:
    answer_type: str  # one of ANSWER_TYPES
    answer_cells: list[list[list[int]]]  # per (deduplicated) target item: its [row, column] cells
    answer_scalar: float | None  # the number of a single-number answer
    bad_reason: str | None = None

    def answer_field(self) -> dict | None:
        """The engine's generic "answer" key: the scalar, or every cell of a lookup."""
        if self.answer_type == "scalar":
            return {"scalar": self.answer_scalar}
        if self.answer_type in ("number_lookup", "word_lookup"):
            return {"cells": [list(c) for c in sorted({(i, j) for cells in self.answer_cells for i, j in cells})]}
        return None


def type_answer(target: list[str], index: CellIndex) -> AnswerInfo:
    items = to_values(target)
    cells = [_cells_for(item, index) for item in items]
    single_number = items[0].amount if len(items) == 1 and items[0].kind == "number" else None
    if items and all(cells):
        kind = "number_lookup" if single_number is not None else "word_lookup"
        return AnswerInfo(kind, cells, single_number)
    if single_number is not None:
        return AnswerInfo("scalar", cells, single_number)
    return AnswerInfo("bad", cells, None, "answer_not_in_table")
