"""The 15 operations of the 2017 model (spec §4.2) with TF's semantics (spec §4.3), soft and hard.

Soft execution mixes every operation's output by the operation and column probabilities (training). Hard
execution runs the discrete program: one operation, one column and one pivot per step (test time). The two are
written independently (the hard one with boolean rows, masked maxima and first-index picks), so the tests'
check "soft with one-hot choices = hard" compares two implementations, not one with itself. Both are
vectorised over the batch, rows and columns. Shapes: B examples, R rows, C column slots, N = 2 question
numbers, O = 15 operations."""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

from engine.wtq2017.batch import Batch
from engine.wtq2017.config import OPS

OP = {name: i for i, name in enumerate(OPS)}
COMPARISONS = ("greater", "lesser", "geq", "leq")  # the ops that read a pivot (spec §3.6)
COLUMN_OPS = ("mfe",) + COMPARISONS + ("argmax", "argmin", "select", "print")  # ops that read a column
_CMP = {"greater": torch.gt, "lesser": torch.lt, "geq": torch.ge, "leq": torch.le}


@dataclass
class Table:
    """What the operations read of a batch's tables; computed once per question."""

    values: torch.Tensor  # (B, R, C) float64 processed values
    valid: torch.Tensor  # (B, R, C) bool, the cell has a value (not padding, not a "bad number")
    cell_mask: torch.Tensor  # (B, R, C) bool, a real cell
    row_mask: torch.Tensor  # (B, R) bool, a real row
    entry_match: torch.Tensor  # (B, R, C) bool
    most_frequent: torch.Tensor  # (B, R, C) bool
    numbers: torch.Tensor  # (B, N) float64
    number_mask: torch.Tensor  # (B, N) bool
    order_desc: torch.Tensor  # (B, R, C) long: rows by descending value per column, ties in table order
    order_asc: torch.Tensor  # (B, R, C) long: rows by ascending value, ties in table order


def table_of(batch: Batch) -> Table:
    # invalid cells sort anywhere: argmax/argmin give them no weight
    return Table(values=batch.values, valid=batch.valid, cell_mask=batch.cell_mask, row_mask=batch.row_mask > 0,
                 entry_match=batch.entry_match > 0, most_frequent=batch.most_frequent > 0, numbers=batch.numbers,
                 number_mask=batch.number_mask,
                 order_desc=torch.sort(batch.values, dim=1, descending=True, stable=True).indices,
                 order_asc=torch.sort(batch.values, dim=1, stable=True).indices)


def soft_comparison(table: Table, op: str, beta: torch.Tensor, mode: str) -> torch.Tensor:
    """The comparison's soft cell selection (B, R, C) for pivot attention beta (B, N).

    expected_comparison: Σ_k β_k 1[x op n_k], differentiable in β (our answer to spec A1);
    expected_pivot: TF's 1[x op Σ_k β_k n_k] (no gradient to β). Equal when β is one-hot. TF multiplies by
    "the question has a number"; the indicators are already 0 without one. Both compare in float64, the exact
    values (a float32 date 20050103 would round)."""
    if mode == "expected_pivot":
        pivot = (beta.to(torch.float64) * table.numbers).sum(-1)  # (B,)
        hit = _CMP[op](table.values, pivot[:, None, None]) & table.valid & table.number_mask[:, :1, None]
        return hit.to(beta.dtype)
    # 1[X[c][i] op n_k] for each question number k, on valid cells of questions with that number (B, N, R, C)
    hit = _CMP[op](table.values[:, None], table.numbers[:, :, None, None])
    ind = hit & table.valid[:, None] & table.number_mask[:, :, None, None]
    return torch.einsum("bn,bnrc->brc", beta, ind.to(beta.dtype))


def _exclusive_cumprod(x: torch.Tensor) -> torch.Tensor:
    """Π_{j<i} x_j along dim 1 (1 at the first position)."""
    return torch.cat([torch.ones_like(x[:, :1]), torch.cumprod(x, 1)[:, :-1]], 1)


def soft_first(rs: torch.Tensor) -> torch.Tensor:
    """TF's scan R[i] = rs[i]·(1 − S), S += R[i]; then 1 − S after row i is Π_{j≤i}(1 − rs[j]), so the scan is
    rs[i]·Π_{j<i}(1 − rs[j]): one cumprod instead of a loop. (B, R) -> (B, R)"""
    return rs * _exclusive_cumprod((1 - rs).clamp(0, 1))


def soft_superlative(rs: torch.Tensor, valid: torch.Tensor, order: torch.Tensor) -> torch.Tensor:
    """TF's argmax (order = descending) or argmin (ascending), per column: visiting rows in order, each takes
    p = rs·V·(1 − S) of the mass left; the same cumprod as soft_first on the sorted weights.
    rs (B, R); valid (B, R, C); order (B, R, C) -> (B, R, C)"""
    weight = rs[:, :, None] * valid.to(rs.dtype)
    sorted_weight = weight.gather(1, order)
    taken = sorted_weight * _exclusive_cumprod((1 - sorted_weight).clamp(0, 1))
    return torch.zeros_like(weight).scatter(1, order, taken)


def soft_step(p_op, p_col, rs, table: Table, compare: dict):
    """One step of soft execution. p_op (B, O); p_col (B, C); rs (B, R) the previous row selector;
    compare: op -> (B, R, C) soft comparison cells (static). Returns scalar (B,), lookup (B, R, C), rows (B, R).
    scalar and lookup are overwritten every step (spec §4.3); only step T's are answers."""
    a = {name: p for name, p in zip(OPS, p_op.unbind(-1), strict=True)}
    dtype = rs.dtype
    row_mask = table.row_mask.to(dtype)
    scalar = a["count"] * rs.sum(-1)
    lookup = (a["print"][:, None] * p_col)[:, None, :] * rs[:, :, None] * table.cell_mask.to(dtype)

    def w(name):  # (B, 1, 1) weight of a column op, broadcast over cells
        return a[name][:, None, None]

    cells = (w("mfe") * table.most_frequent.to(dtype) + w("select") * table.entry_match.to(dtype)
             + w("argmax") * soft_superlative(rs, table.valid, table.order_desc)
             + w("argmin") * soft_superlative(rs, table.valid, table.order_asc))
    for op in COMPARISONS:
        cells = cells + w(op) * compare[op]
    rows = torch.bmm(cells, p_col[:, :, None])[..., 0]  # Σ_c κ(c) · R_op[c]
    rows = (rows + a["prev"][:, None] * F.pad(rs[:, 1:], (0, 1))  # the row before each selected row
            + a["next"][:, None] * F.pad(rs[:, :-1], (1, 0))  # the row after
            + a["first"][:, None] * soft_first(rs) + a["last"][:, None] * soft_first(rs.flip(1)).flip(1)
            + a["reset"][:, None] * row_mask)
    return scalar, lookup, rows * row_mask


def _first_true(x: torch.Tensor) -> torch.Tensor:
    """One-hot of the first True along dim 1 (all False stays all False). (B, R) bool -> (B, R) bool"""
    first = F.one_hot(x.to(torch.uint8).argmax(1), x.shape[1]).bool()
    return first & x.any(1, keepdim=True)


def hard_step(op: torch.Tensor, col: torch.Tensor, pivot: torch.Tensor, rs: torch.Tensor, table: Table):
    """One step of the discrete program. op, col (B,) long; pivot (B, 4) long: the number each comparison
    (COMPARISONS order) reads; rs (B, R) bool. Returns scalar (B,) float64, lookup (B, R, C) bool, rows (B, R) bool.
    Ties of argmax/argmin go to the first row in table order, as TF's stable sort does."""
    B, R, C = table.values.shape
    pick = col[:, None, None].expand(B, R, 1)

    def column(x):  # (B, R, C) -> the chosen column (B, R)
        return x.gather(2, pick)[..., 0]

    values, valid = column(table.values), column(table.valid)
    candidates = rs & valid

    def extreme(largest: bool):
        key = values.masked_fill(~candidates, -torch.inf if largest else torch.inf)
        best = key.amax(1, keepdim=True) if largest else key.amin(1, keepdim=True)
        return _first_true(candidates & (values == best))

    none = torch.zeros_like(rs)
    outputs = {
        "count": none, "print": none, "reset": table.row_mask,
        "prev": F.pad(rs[:, 1:], (0, 1)), "next": F.pad(rs[:, :-1], (1, 0)),
        "first": _first_true(rs), "last": _first_true(rs.flip(1)).flip(1),
        "mfe": column(table.most_frequent), "select": column(table.entry_match),
        "argmax": extreme(True), "argmin": extreme(False),
    }
    for k, name in enumerate(COMPARISONS):
        n = table.numbers.gather(1, pivot[:, k:k + 1])  # (B, 1)
        has = table.number_mask.gather(1, pivot[:, k:k + 1]) & table.number_mask[:, :1]
        outputs[name] = _CMP[name](values, n) & valid & has
    stacked = torch.stack([outputs[name] for name in OPS], 1)  # (B, O, R)
    rows = stacked.gather(1, op[:, None, None].expand(B, 1, R))[:, 0] & table.row_mask
    is_count, is_print = op == OP["count"], op == OP["print"]
    scalar = torch.where(is_count, rs.sum(-1).to(torch.float64), torch.zeros((), dtype=torch.float64))
    lookup = (is_print[:, None, None] & rs[:, :, None] & F.one_hot(col, C).bool()[:, None, :]) & table.cell_mask
    return scalar, lookup, rows


def run_soft(p_ops, p_cols, betas: dict, table: Table, mode: str = "expected_comparison"):
    """Soft execution of T steps. p_ops (B, T, O); p_cols (B, T, C); betas: comparison -> (B, N).
    Returns scalar_T (B,), lookup_T (B, R, C) and the row selections of every step (B, T, R)."""
    compare = {op: soft_comparison(table, op, betas[op], mode) for op in COMPARISONS}
    rs = table.row_mask.to(p_ops.dtype)  # rs_0: every real row
    rows = []
    for t in range(p_ops.shape[1]):
        scalar, lookup, rs = soft_step(p_ops[:, t], p_cols[:, t], rs, table, compare)
        rows.append(rs)
    return scalar, lookup, torch.stack(rows, 1)


def run_hard(ops, cols, pivots, table: Table):
    """The discrete program. ops, cols (B, T) long; pivots (B, 4) long.
    Returns scalar_T (B,) float64, lookup_T (B, R, C) bool, rows (B, T, R) bool."""
    rs, rows = table.row_mask, []
    for t in range(ops.shape[1]):
        scalar, lookup, rs = hard_step(ops[:, t], cols[:, t], pivots, rs, table)
        rows.append(rs)
    return scalar, lookup, torch.stack(rows, 1)
