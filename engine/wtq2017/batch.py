"""Converted WikiTableQuestions examples (their `wtq` block, docs/wtq.md) as padded tensors for the 2017 model.

Column slots follow TF's layout: the first `number_columns` slots hold the number columns, the next
`word_columns` the word columns (spec §3.2), each kind in table order, so a slot's kind is its position.
Rows are padded to the longest table of the batch. Every size is checked before anything is allocated."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, fields

import numpy as np
import torch

from engine.core.limits import BATCH_MAX_CELLS
from engine.core.vocab import Vocab
from engine.wtq2017.config import ModelConfig
from engine.wtq2017.features import COLUMN_MATCH, ENTRY_MATCH  # the converter's appended tokens

MAX_NUMBERS = 2  # TF reads the first two question numbers (spec §3.2)


def build_vocab(examples: list[dict], word_cutoff: int) -> Vocab:
    """Words of the training questions and column names seen at least `word_cutoff` times (spec §3.2, §6.2),
    plus the two match tokens (the column vectors read <entry_match>'s embedding even if no question has it)."""
    counts = Counter(t for ex in examples for seq in (ex["wtq"]["words"], *ex["wtq"]["column_tokens"]) for t in seq)
    return Vocab([word for word, n in counts.items() if n >= word_cutoff] + [ENTRY_MATCH, COLUMN_MATCH])


@dataclass
class Batch:
    """B examples, R rows (the batch's longest table), C = number + word column slots, Q question words,
    L words per column name, K answer items."""

    question_ids: torch.Tensor  # (B, Q) long, 0 = padding (right-padded)
    question_len: torch.Tensor  # (B,) long
    name_ids: torch.Tensor  # (B, C, L) long, words of each slot's column name
    col_mask: torch.Tensor  # (B, C) float, 1 = the slot holds a column
    row_mask: torch.Tensor  # (B, R) float, 1 = a real row
    cell_mask: torch.Tensor  # (B, R, C) bool, a real cell (real row, real slot)
    values: torch.Tensor  # (B, R, C) float64 processed values (spec §3.2), 0 where not valid
    valid: torch.Tensor  # (B, R, C) bool, the cell has a processed value (not padding, not TF's "bad number")
    entry_match: torch.Tensor  # (B, R, C) float, cells matching the question (exact or partial)
    most_frequent: torch.Tensor  # (B, R, C) float, cells holding their column's most frequent entry
    cell_key: torch.Tensor  # (B, R, C) long, one id per distinct cell text within its column (-1: empty)
    match_count: torch.Tensor  # (B, C) float, n^match_c: cells of the column matching exactly (spec §3.4)
    name_match: torch.Tensor  # (B, C) float, the column's name occurs in the question
    numbers: torch.Tensor  # (B, 2) float64, the first two question numbers (0 where absent)
    number_mask: torch.Tensor  # (B, 2) bool
    number_pos: torch.Tensor  # (B, 2) long, pivot position: index in the words of the token before the number
    scalar_target: torch.Tensor  # (B,) float64, y (0 where has_scalar is false)
    has_scalar: torch.Tensor  # (B,) bool, trained with the scalar loss
    has_lookup: torch.Tensor  # (B,) bool, trained with the lookup loss
    answer: torch.Tensor  # (B, R, C) bool, cells matching some answer item
    item_cells: torch.Tensor  # (P,) long, pairs (cell, item) of S_k (spec §5.3): the cell, flat in (B, R, C)
    item_index: torch.Tensor  # (P,) long, the pair's item, flat in (B, K)
    items: int  # K, the most answer items of an example
    slot_columns: list  # per example, the table column of each slot (-1: empty slot)
    number_slots: int = 15  # the first slots, which hold number columns

    def __len__(self) -> int:
        return self.values.shape[0]

    @property
    def number_values(self) -> torch.Tensor:  # (B, R, number_columns)
        return self.values[:, :, :self.number_slots]

    @property
    def word_values(self) -> torch.Tensor:  # (B, R, word_columns)
        return self.values[:, :, self.number_slots:]

    def to(self, device) -> Batch:
        return Batch(**{f.name: (v.to(device) if isinstance(v := getattr(self, f.name), torch.Tensor) else v)
                        for f in fields(self)})


def slot_columns(wtq: dict, config: ModelConfig) -> list[int]:
    """Table column per slot: number model columns, padded to `number_columns`, then word model columns."""
    kinds = wtq["column_kinds"]
    number = [c for c in wtq["model_columns"] if kinds[c] == "number"][:config.number_columns]
    word = [c for c in wtq["model_columns"] if kinds[c] == "word"][:config.word_columns]
    return (number + [-1] * (config.number_columns - len(number))
            + word + [-1] * (config.word_columns - len(word)))


def _check(examples: list[dict], config: ModelConfig, max_cells: int) -> tuple[int, int, int, int]:
    """(R, Q, L, K) of the padded batch, or ValueError saying what does not fit (and which example lacks its
    wtq block). The answer items are kept as (cell, item) pairs, not a (B, K, R, C) grid: a list of 55 years
    would make it 55 tables big."""
    if not examples:
        raise ValueError("no examples to encode")
    R = Q = L = K = 1
    pairs = 0
    for i, ex in enumerate(examples):
        w = ex.get("wtq")
        if not isinstance(w, dict) or w.get("version") != 1:
            raise ValueError(f"example {i + 1} ({ex.get('id', '?')}) has no wtq block of format version 1: "
                             "convert it with `python -m engine wtq-convert`")
        R = max(R, len(ex["rows"]))
        Q = max(Q, min(len(w["words"]), config.question_length))
        L = max([L] + [len(t) for t in w["column_tokens"]])
        K = max(K, len(w.get("answer_cells") or []))
        pairs += sum(len(cells) for cells in w.get("answer_cells") or [])
    B, C = len(examples), config.columns
    if B * R * C > max_cells or pairs > max_cells:
        raise ValueError(f"a batch of {B:,} examples, {R:,} rows and {C} column slots is over {max_cells:,} padded "
                         "cells (BATCH_MAX_CELLS): use smaller batches")
    return R, Q, L, K


def encode_batch(examples: list[dict], vocab: Vocab, config: ModelConfig,
                 max_cells: int = BATCH_MAX_CELLS) -> Batch:
    """Padded tensors for converted examples. Examples without a target (or untrainable ones) get no loss
    targets (has_scalar = has_lookup = False) and can still be answered."""
    R, Q, L, K = _check(examples, config, max_cells)
    B, C, N = len(examples), config.columns, config.number_columns
    qids, qlen = np.zeros((B, Q), np.int64), np.zeros(B, np.int64)
    names, col_mask = np.zeros((B, C, L), np.int64), np.zeros((B, C), np.float32)
    row_mask, cell_mask = np.zeros((B, R), np.float32), np.zeros((B, R, C), bool)
    values, valid = np.zeros((B, R, C), np.float64), np.zeros((B, R, C), bool)
    keys = np.full((B, R, C), -1, np.int64)
    distinct = "distinct" in config.op_names  # only a distinct count reads the cells' keys
    entry, frequent = np.zeros((B, R, C), np.float32), np.zeros((B, R, C), np.float32)
    count, name_match = np.zeros((B, C), np.float32), np.zeros((B, C), np.float32)
    numbers, number_mask = np.zeros((B, MAX_NUMBERS), np.float64), np.zeros((B, MAX_NUMBERS), bool)
    number_pos = np.zeros((B, MAX_NUMBERS), np.int64)
    target, has_scalar, has_lookup = np.zeros(B, np.float64), np.zeros(B, bool), np.zeros(B, bool)
    answer, item_cells, item_index, slots_all = np.zeros((B, R, C), bool), [], [], []
    for b, ex in enumerate(examples):
        w = ex["wtq"]
        slots = slot_columns(w, config)
        slots_all.append(slots)
        slot_of = {c: s for s, c in enumerate(slots) if c >= 0}
        words = w["words"][:config.question_length]  # TF's cap; only one training question is longer
        qids[b, :len(words)] = [vocab.id(t) for t in words]
        qlen[b] = len(words)
        m = len(ex["rows"])
        row_mask[b, :m] = 1
        for s, c in enumerate(slots):
            if c < 0:
                continue
            col_mask[b, s] = 1
            toks = w["column_tokens"][c]
            names[b, s, :len(toks)] = [vocab.id(t) for t in toks]
            count[b, s] = w["entry_match_count"][c]
            name_match[b, s] = w["column_match"][c]
            cell_mask[b, :m, s] = True
            seen: dict[str, int] = {}  # a distinct count compares cells by their text, folded
            for r in range(m):
                v = w["cell_values"][r][c]
                if v is not None:
                    values[b, r, s], valid[b, r, s] = v, True
                text = ex["rows"][r][c] if distinct else None
                if text is not None and str(text).strip():
                    keys[b, r, s] = seen.setdefault(" ".join(str(text).lower().split()), len(seen))
        for grid, key in ((entry, "entry_match"), (frequent, "most_frequent")):
            for r, c in w[key]:
                if c in slot_of:
                    grid[b, r, slot_of[c]] = 1
        for k, (n, pos) in enumerate(zip(w["numbers"][:MAX_NUMBERS], w["number_positions"][:MAX_NUMBERS], strict=True)):
            numbers[b, k], number_mask[b, k], number_pos[b, k] = n, True, min(pos, max(len(words) - 1, 0))
        kind = w.get("answer_type")
        if not w.get("trainable", False) or kind not in ("scalar", "number_lookup", "word_lookup"):
            continue
        if kind in ("scalar", "number_lookup") and w.get("answer_scalar") is not None:
            target[b], has_scalar[b] = w["answer_scalar"], True
        if kind != "scalar":
            for k, cells in enumerate(w.get("answer_cells") or []):
                for r, c in cells:
                    if c in slot_of:
                        answer[b, r, slot_of[c]] = True
                        item_cells.append((b * R + r) * C + slot_of[c])
                        item_index.append(b * K + k)
            has_lookup[b] = bool(answer[b].any())
    t = torch.from_numpy
    return Batch(
        question_ids=t(qids), question_len=t(qlen), name_ids=t(names), col_mask=t(col_mask), row_mask=t(row_mask),
        cell_mask=t(cell_mask), values=t(values), valid=t(valid), entry_match=t(entry), most_frequent=t(frequent),
        cell_key=t(keys),
        match_count=t(count), name_match=t(name_match), numbers=t(numbers), number_mask=t(number_mask),
        number_pos=t(number_pos), scalar_target=t(target), has_scalar=t(has_scalar), has_lookup=t(has_lookup),
        answer=t(answer), item_cells=torch.tensor(item_cells, dtype=torch.long),
        item_index=torch.tensor(item_index, dtype=torch.long), items=K, slot_columns=slots_all, number_slots=N)
