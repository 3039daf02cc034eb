"""Turn examples (table + question + answer) into padded, masked tensors for the model."""

from __future__ import annotations

import math
from dataclasses import dataclass, fields

import numpy as np
import torch

from .vocab import Vocab, parse_number, split_question, tokenize

MAX_NAME_TOKENS = 4


def cell_number(cell) -> float | None:
    """A cell's numeric value, or None for text and empty cells."""
    if isinstance(cell, bool):
        return None
    if isinstance(cell, (int, float)):
        return float(cell) if math.isfinite(cell) else None
    if isinstance(cell, str):
        return parse_number(cell.strip())
    return None


def is_empty(cell) -> bool:
    return cell is None or (isinstance(cell, float) and math.isnan(cell)) or (
        isinstance(cell, str) and not cell.strip())


def column_kinds(columns: list[str], rows: list[list]) -> list[str]:
    """'numeric' when every non-empty cell of the column is a number, else 'text'."""
    kinds = []
    for j in range(len(columns)):
        cells = [r[j] for r in rows if not is_empty(r[j])]
        kinds.append("numeric" if all(cell_number(c) is not None for c in cells) else "text")
    return kinds


@dataclass
class Batch:
    """B examples padded to M rows, C columns, Q question words and N question numbers."""

    values: torch.Tensor  # (B, M, C) numeric cell values, 0 for text/empty/padding
    valid: torch.Tensor  # (B, M, C) 1 for a non-empty numeric cell
    row_mask: torch.Tensor  # (B, M) 1 for a real row
    col_mask: torch.Tensor  # (B, C) 1 for a real column
    text_col: torch.Tensor  # (B, C) 1 for a text column
    name_ids: torch.Tensor  # (B, C, L) column-name word ids
    question_ids: torch.Tensor  # (B, Q) question word ids (numbers removed), 0-padded on the right
    question_len: torch.Tensor  # (B,) number of question words (>= 1)
    name_match: torch.Tensor  # (B, C, Q) 1 where question word q is a word of column c's name
    numbers: torch.Tensor  # (B, N) question numbers (-1 when the question has none, spec §2.5)
    number_left: torch.Tensor  # (B, N) position of the word left of each number
    number_mask: torch.Tensor  # (B, N) 1 for a real number slot
    entry_match: torch.Tensor  # (B, M, C) 1 where a text cell occurs in the question (text_match)
    target_scalar: torch.Tensor  # (B,) scalar answer (0 for lookup examples)
    is_scalar: torch.Tensor  # (B,) 1 for a scalar answer, 0 for a lookup answer
    target_cells: torch.Tensor  # (B, M, C) 1 for answer cells of lookup examples

    def __len__(self) -> int:
        return self.values.shape[0]

    def index(self, idx) -> Batch:
        """Rows `idx` of every tensor (a slice or an index tensor)."""
        return Batch(**{f.name: getattr(self, f.name)[idx] for f in fields(self)})


def _numeric_array(rows: list[list], c: int) -> np.ndarray | None:
    """(m, c) float array when every cell is a number or empty (the common, fast case), else None."""
    if any(isinstance(cell, str) for r in rows for cell in r):
        return None
    try:
        arr = np.array(rows, dtype=np.float64).reshape(len(rows), c)
    except (TypeError, ValueError):
        return None
    return arr


def _ngrams(words: list[str], n_max: int = 4) -> set[str]:
    return {" ".join(words[i:i + n]) for n in range(1, n_max + 1) for i in range(len(words) - n + 1)}


def encode(examples: list[dict], vocab: Vocab) -> Batch:
    """Encode examples of the JSONL form ({"columns", "rows", "question", "answer"?}) into one Batch."""
    if not examples:
        raise ValueError("no examples to encode")
    questions = [split_question(ex["question"]) for ex in examples]
    B = len(examples)
    M = max(max(len(ex["rows"]) for ex in examples), 1)
    C = max(max(len(ex["columns"]) for ex in examples), 1)
    Q = max(max(len(q.words) for q in questions), 1)
    N = max(max(len(q.numbers) for q in questions), 1)

    values = np.zeros((B, M, C), np.float32)
    valid = np.zeros((B, M, C), np.float32)
    row_mask = np.zeros((B, M), np.float32)
    col_mask = np.zeros((B, C), np.float32)
    text_col = np.zeros((B, C), np.float32)
    name_ids = np.zeros((B, C, MAX_NAME_TOKENS), np.int64)
    question_ids = np.zeros((B, Q), np.int64)
    question_len = np.ones(B, np.int64)
    name_match = np.zeros((B, C, Q), np.float32)
    numbers = np.full((B, N), -1.0, np.float32)
    number_left = np.zeros((B, N), np.int64)
    number_mask = np.zeros((B, N), np.float32)
    number_mask[:, 0] = 1.0
    entry_match = np.zeros((B, M, C), np.float32)
    target_scalar = np.zeros(B, np.float32)
    is_scalar = np.zeros(B, np.float32)
    target_cells = np.zeros((B, M, C), np.float32)

    for b, (ex, q) in enumerate(zip(examples, questions, strict=True)):
        columns, rows = ex["columns"], ex["rows"]
        m, c = len(rows), len(columns)
        row_mask[b, :m] = 1.0
        col_mask[b, :c] = 1.0
        if q.words:
            question_ids[b, :len(q.words)] = [vocab.id(w) for w in q.words]
            question_len[b] = len(q.words)
        if q.numbers:
            n = len(q.numbers)
            numbers[b, :n] = q.numbers
            number_left[b, :n] = q.number_left
            number_mask[b, :n] = 1.0
        qgrams = _ngrams(q.words)
        fast = _numeric_array(rows, c)
        kinds = ["numeric"] * c if fast is not None else column_kinds(columns, rows)
        if fast is not None and m:
            ok = np.isfinite(fast)
            values[b, :m, :c] = np.where(ok, fast, 0.0)
            valid[b, :m, :c] = ok
        for j, name in enumerate(columns):
            name_words = tokenize(name)[:MAX_NAME_TOKENS] or ["<unk>"]
            name_ids[b, j, :len(name_words)] = [vocab.id(w) for w in name_words]
            name_match[b, j, :len(q.words)] = [w in name_words for w in q.words]
            if kinds[j] == "text":
                text_col[b, j] = 1.0
                entry_match[b, :m, j] = [" ".join(tokenize(r[j])) in qgrams if not is_empty(r[j]) else False
                                         for r in rows]
            elif fast is None:
                nums = [cell_number(r[j]) for r in rows]
                values[b, :m, j] = [0.0 if x is None else x for x in nums]
                valid[b, :m, j] = [x is not None for x in nums]
        answer = ex.get("answer") or {}
        if "scalar" in answer and answer["scalar"] is not None:
            target_scalar[b] = float(answer["scalar"])
            is_scalar[b] = 1.0
        for r, j in answer.get("cells", []):
            if 0 <= r < m and 0 <= j < c:
                target_cells[b, r, j] = 1.0

    return Batch(*(torch.from_numpy(a) for a in (
        values, valid, row_mask, col_mask, text_col, name_ids, question_ids, question_len, name_match,
        numbers, number_left, number_mask, entry_match, target_scalar, is_scalar, target_cells)))
