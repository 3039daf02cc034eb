"""Turn examples (table + question + answer) into padded, masked tensors for the model (`encode`), checking
memory before anything is allocated (`size_batches` groups examples so each batch stays within the budget of
engine/core/limits.py)."""

from __future__ import annotations

import math
from dataclasses import dataclass, fields

import numpy as np
import torch

from engine.core import limits
from engine.core.limits import BATCH_MAX_CELLS, BATCH_MAX_COMPARISONS, NUMBER_MAX_ABS
from engine.core.vocab import Question, Vocab, parse_number, split_question, tokenize

MAX_NAME_TOKENS = 4


def cell_number(cell) -> float | None:
    """A cell's numeric value, or None for text and empty cells."""
    if isinstance(cell, bool):
        return None
    if isinstance(cell, int):
        try:
            return float(cell)
        except OverflowError:  # hundreds of digits: a number beyond any float, which encode refuses by size
            return math.inf if cell > 0 else -math.inf
    if isinstance(cell, float):
        return cell if math.isfinite(cell) else None
    if isinstance(cell, str):
        return parse_number(cell.strip())
    return None


def is_empty(cell) -> bool:
    return cell is None or (isinstance(cell, float) and math.isnan(cell)) or (
        isinstance(cell, str) and not cell.strip())


def column_kinds(columns: list[str], rows: list[list]) -> list[str]:
    """'numeric' when every non-empty cell of the column is a number, else 'text'."""
    return ["numeric" if all(cell_number(r[j]) is not None for r in rows if not is_empty(r[j])) else "text"
            for j in range(len(columns))]


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
    cell_ids: torch.Tensor  # (B, M, C) word id of a text cell's text (its tokens joined), 0 elsewhere

    def __len__(self) -> int:
        return self.values.shape[0]

    def index(self, idx) -> Batch:
        """Rows `idx` of every tensor (a slice or an index tensor)."""
        return Batch(**{f.name: getattr(self, f.name)[idx] for f in fields(self)})

    def to(self, device) -> Batch:
        """The batch with every tensor on `device` (engine/core/device.py); a tensor already there is not copied."""
        return Batch(**{f.name: getattr(self, f.name).to(device) for f in fields(self)})


def _numeric_array(rows: list[list], c: int) -> np.ndarray | None:
    """(m, c) float array when every cell is a number or empty (the common, fast case), else None."""
    if any(isinstance(cell, str) for r in rows for cell in r):
        return None
    try:
        return np.array(rows, dtype=np.float64).reshape(len(rows), c)
    except (TypeError, ValueError, OverflowError):  # ragged rows, None, or an integer beyond any float
        return None


def _ngrams(words: list[str], n_max: int = 4) -> set[str]:
    return {" ".join(words[i:i + n]) for n in range(1, n_max + 1) for i in range(len(words) - n + 1)}


def checked_questions(examples: list[dict]) -> list[Question]:
    """Each example's question split into words and numbers; ValueError naming the limit (and the example)
    for a question over QUESTION_MAX_NUMBERS or QUESTION_MAX_CHARS, before anything is padded."""
    questions = []
    for i, ex in enumerate(examples, 1):
        where = f"example {i}: " if len(examples) > 1 else ""
        text = str(ex["question"])
        q = split_question(text, ex["columns"])
        if len(q.numbers) > limits.QUESTION_MAX_NUMBERS:
            raise ValueError(f"{where}the question has {len(q.numbers):,} numbers; at most "
                             f"{limits.QUESTION_MAX_NUMBERS} (QUESTION_MAX_NUMBERS) are allowed")
        if len(text) > limits.QUESTION_MAX_CHARS:
            raise ValueError(f"{where}the question has {len(text):,} characters; at most "
                             f"{limits.QUESTION_MAX_CHARS:,} (QUESTION_MAX_CHARS) are allowed")
        questions.append(q)
    return questions


def padded_shape(ex: dict, q: Question) -> tuple[int, int, int, int]:
    """(M rows, C columns, N numbers, Q words) an example takes in a padded batch (each >= 1, as encode pads)."""
    return max(len(ex["rows"]), 1), max(len(ex["columns"]), 1), max(len(q.numbers), 1), max(len(q.words), 1)


def over_budget(B: int, M: int, C: int, N: int, Q: int, max_cells: int = BATCH_MAX_CELLS,
                max_comparisons: int = BATCH_MAX_COMPARISONS) -> str | None:
    """Why a batch of B examples padded to (M, C, N, Q) is too large, or None when it fits."""
    cells = B * M * C
    if cells > max_cells:
        return (f"{B:,} x {M:,} rows x {C:,} columns = {cells:,} padded cells; at most {max_cells:,} "
                "(BATCH_MAX_CELLS) fit in one batch")
    if cells * N > max_comparisons:
        return (f"{cells:,} padded cells x {N} question numbers = {cells * N:,} comparisons; at most "
                f"{max_comparisons:,} (BATCH_MAX_COMPARISONS) fit in one batch")
    if B * C * Q > max_comparisons:
        return (f"{B:,} x {C:,} columns x {Q:,} question words = {B * C * Q:,} name matches; at most "
                f"{max_comparisons:,} (BATCH_MAX_COMPARISONS) fit in one batch")
    return None


def size_batches(examples: list[dict], *, max_cells: int = BATCH_MAX_CELLS,
                 max_comparisons: int = BATCH_MAX_COMPARISONS, max_batch: int = 500) -> list[list[int]]:
    """Indices of `examples` in groups (sorted by padded shape, at most max_batch each) that each encode within
    `over_budget`, so that one large table never pads the small ones to its size. ValueError naming the limit
    for an example too large even alone."""
    if max_batch < 1:
        raise ValueError("max_batch must be at least 1")
    shapes = [padded_shape(ex, q) for ex, q in zip(examples, checked_questions(examples), strict=True)]
    groups, group, padded = [], [], (0, 0, 0, 0)  # padded: the current group's (M, C, N, Q)
    for i in sorted(range(len(examples)), key=lambda i: (shapes[i][1], shapes[i][0], shapes[i][2:], i)):
        grown = tuple(map(max, padded, shapes[i]))
        if group and (len(group) == max_batch or over_budget(len(group) + 1, *grown, max_cells, max_comparisons)):
            groups.append(group)
            group, grown = [], shapes[i]
        if not group and (why := over_budget(1, *grown, max_cells, max_comparisons)):
            raise ValueError(f"example {i + 1} is too large even alone: {why}")
        group.append(i)
        padded = grown
    if group:
        groups.append(group)
    return groups


def _check_magnitude(x: np.ndarray, what: str, largest: float = NUMBER_MAX_ABS) -> None:
    """Refuse numbers beyond NUMBER_MAX_ABS (sums of up to TABLE_MAX_ROWS of them stay finite in float64),
    or beyond float32's range in a float32 training set (where they would become inf)."""
    if x.size and np.abs(x).max() > largest:
        limit = "(NUMBER_MAX_ABS)" if largest == NUMBER_MAX_ABS else "(the range of float32, which training uses)"
        raise ValueError(f"{what} is beyond ±{largest:g} {limit}")


def encode(examples: list[dict], vocab: Vocab, *, exact: bool = True, bounded: bool = True) -> Batch:
    """Encode examples of the JSONL form ({"columns", "rows", "question", "answer"?}) into one Batch.

    exact: values, numbers and target_scalar in float64, as the model executes an answer (float32 reads
    16777217 as 16777216); False: float32 (a training set: soft training is float32, the store smaller).
    bounded: refuse a batch whose padded size is over BATCH_MAX_CELLS / BATCH_MAX_COMPARISONS, before
    allocating it (group examples with size_batches). False only for a store that is indexed a batch at
    a time (train.py's training and test sets, whose size the training settings bound).
    A question over QUESTION_MAX_CHARS or QUESTION_MAX_NUMBERS, and a number beyond NUMBER_MAX_ABS, are
    refused either way.
    """
    if not examples:
        raise ValueError("no examples to encode")
    questions = checked_questions(examples)
    shapes = [padded_shape(ex, q) for ex, q in zip(examples, questions, strict=True)]
    B = len(examples)
    M, C, N, Q = (max(s[k] for s in shapes) for k in range(4))
    if bounded and (why := over_budget(B, M, C, N, Q)):
        if B == 1:
            raise ValueError(f"the table and question are too large: {why}")
        raise ValueError(f"a batch of {B:,} examples is too large: {why} (batch.size_batches groups them)")
    number_dtype = np.float64 if exact else np.float32
    largest = NUMBER_MAX_ABS if exact else float(np.finfo(np.float32).max)

    values, target_scalar = np.zeros((B, M, C), number_dtype), np.zeros(B, number_dtype)
    numbers = np.full((B, N), -1.0, number_dtype)
    valid, entry_match, target_cells = (np.zeros((B, M, C), np.float32) for _ in range(3))
    col_mask, text_col = (np.zeros((B, C), np.float32) for _ in range(2))
    row_mask, name_match = np.zeros((B, M), np.float32), np.zeros((B, C, Q), np.float32)
    number_mask, is_scalar = np.zeros((B, N), np.float32), np.zeros(B, np.float32)
    number_mask[:, 0] = 1.0
    name_ids, cell_ids = np.zeros((B, C, MAX_NAME_TOKENS), np.int64), np.zeros((B, M, C), np.int64)
    question_ids, number_left = np.zeros((B, Q), np.int64), np.zeros((B, N), np.int64)
    question_len = np.ones(B, np.int64)

    for b, (ex, q) in enumerate(zip(examples, questions, strict=True)):
        columns, rows = ex["columns"], ex["rows"]
        m, c = len(rows), len(columns)
        row_mask[b, :m] = 1.0
        col_mask[b, :c] = 1.0
        if q.words:
            question_ids[b, :len(q.words)] = [vocab.id(w) for w in q.words]
            question_len[b] = len(q.words)
        if q.numbers:
            _check_magnitude(np.asarray(q.numbers), f"example {b + 1}: a question number", largest)
            n = len(q.numbers)
            numbers[b, :n] = q.numbers
            number_left[b, :n] = q.number_left
            number_mask[b, :n] = 1.0
        qgrams = _ngrams(q.words)
        fast = _numeric_array(rows, c)
        kinds = ["numeric"] * c if fast is not None else column_kinds(columns, rows)
        if fast is not None and m:
            ok = np.isfinite(fast)  # a float NaN or inf cell counts as empty
            _check_magnitude(np.where(ok, fast, 0.0), f"example {b + 1}: a cell", largest)
            values[b, :m, :c] = np.where(ok, fast, 0.0)
            valid[b, :m, :c] = ok
        for j, name in enumerate(columns):
            name_words = tokenize(name)[:MAX_NAME_TOKENS] or ["<unk>"]
            name_ids[b, j, :len(name_words)] = [vocab.id(w) for w in name_words]
            name_match[b, j, :len(q.words)] = [w in name_words for w in q.words]
            if kinds[j] == "text":
                text_col[b, j] = 1.0
                texts = ["" if is_empty(r[j]) else " ".join(tokenize(r[j])) for r in rows]
                entry_match[b, :m, j] = [bool(t) and t in qgrams for t in texts]
                cell_ids[b, :m, j] = [vocab.id(t) if t else 0 for t in texts]
            elif fast is None:
                nums = [cell_number(r[j]) for r in rows]
                column = np.array([0.0 if x is None else x for x in nums], np.float64)
                _check_magnitude(column, f"example {b + 1}: a cell of column {j + 1}", largest)
                values[b, :m, j] = column
                valid[b, :m, j] = [x is not None for x in nums]
        answer = ex.get("answer") or {}
        if "scalar" in answer and answer["scalar"] is not None:
            try:
                target = float(answer["scalar"])
            except OverflowError:  # an integer of hundreds of digits
                target = math.inf
            _check_magnitude(np.asarray([target]), f"example {b + 1}: the answer", largest)
            target_scalar[b] = target
            is_scalar[b] = 1.0
        for r, j in answer.get("cells", []):
            if 0 <= r < m and 0 <= j < c:
                target_cells[b, r, j] = 1.0

    return Batch(*(torch.from_numpy(a) for a in (
        values, valid, row_mask, col_mask, text_col, name_ids, question_ids, question_len, name_match,
        numbers, number_left, number_mask, entry_match, target_scalar, is_scalar, target_cells, cell_ids)))
