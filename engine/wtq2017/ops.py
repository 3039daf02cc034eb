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
from engine.wtq2017.config import ALL_OPS, OPS

OP = {name: i for i, name in enumerate(ALL_OPS)}  # the paper's 15 first: their indices are the same in both sets
COMPARISONS = ("greater", "lesser", "geq", "leq")  # the ops that read a pivot (spec §3.6)
COLUMN_SCALARS = ("sum", "average", "distinct", "diff")  # the larger language's numbers from a column's rows
COLUMN_OPS = ("mfe",) + COMPARISONS + ("argmax", "argmin", "select", "print") + COLUMN_SCALARS  # read a column
SCALAR_OPS = ("count",) + COLUMN_SCALARS  # the ops whose answer is a number
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
    cell_key: torch.Tensor  # (B, R, C) long, equal for equal cell text within a column (-1: empty)


def table_of(batch: Batch) -> Table:
    # invalid cells sort anywhere: argmax/argmin give them no weight
    return Table(values=batch.values, valid=batch.valid, cell_mask=batch.cell_mask, row_mask=batch.row_mask > 0,
                 entry_match=batch.entry_match > 0, most_frequent=batch.most_frequent > 0, numbers=batch.numbers,
                 number_mask=batch.number_mask,
                 order_desc=torch.sort(batch.values, dim=1, descending=True, stable=True).indices,
                 order_asc=torch.sort(batch.values, dim=1, stable=True).indices, cell_key=batch.cell_key)


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


def soft_distinct(rs: torch.Tensor, key: torch.Tensor) -> torch.Tensor:
    """Σ_i rs_i Π_{j<i, same text} (1 − rs_j) per column: each value counted once, at its first selected row.
    Rows are sorted by text (stably, so in table order within one text); the product over the earlier rows of a
    text is then an exclusive cumulative sum of log(1 − rs) from the start of its run of equal texts, so no
    (R × R) comparison is built. rs (B, R); key (B, R, C), −1 for an empty cell. (B, C)"""
    order = torch.sort(key, dim=1, stable=True).indices  # (B, R, C)
    sorted_key = key.gather(1, order)
    picked = rs[:, :, None].expand_as(key).gather(1, order)  # rs in each column's text order
    log_left = torch.log((1 - picked).clamp(min=1e-30))  # a certain row leaves e^−69: 0 to float precision
    before = torch.cumsum(log_left, 1) - log_left  # Σ over the earlier rows of the column
    R = key.shape[1]
    starts = torch.ones_like(sorted_key, dtype=torch.bool)
    starts[:, 1:] = sorted_key[:, 1:] != sorted_key[:, :-1]  # the first row of each run of one text
    position = torch.arange(R, device=key.device)[None, :, None].expand_as(sorted_key)
    run_start = torch.where(starts, position, 0).cummax(1).values  # (B, R, C)
    unseen = torch.exp(before - before.gather(1, run_start))  # Π (1 − rs_j) over the run's earlier rows
    return (picked * (sorted_key >= 0) * unseen).sum(1)


def soft_column_scalars(a: dict, p_col, rs, table: Table, top, bottom) -> torch.Tensor:
    """The larger language's numbers, mixed: Σ_c κ(c) Σ_op α(op) · op's number on column c. rs (B, R); top, bottom
    (B, R, C): the soft argmax and argmin of rs (their expected values are the soft largest and smallest). (B,)"""
    dtype = rs.dtype
    valid = table.valid.to(dtype)
    values = table.values.to(dtype) * valid
    total = torch.einsum("br,brc->bc", rs, values)  # (B, C)
    n = torch.einsum("br,brc->bc", rs, valid)
    mean = torch.where(n > 0, total / n.clamp(min=1e-12), torch.zeros_like(n))
    spread = ((top - bottom) * values).sum(1)  # E[largest] − E[smallest]
    distinct = soft_distinct(rs, table.cell_key)
    per_column = (a["sum"][:, None] * total + a["average"][:, None] * mean + a["distinct"][:, None] * distinct
                  + a["diff"][:, None] * spread)  # (B, C)
    return (per_column * p_col).sum(-1)


def soft_step(p_op, p_col, rs, table: Table, compare: dict, rs2=None, names=OPS):
    """One step of soft execution. p_op (B, O) over `names`; p_col (B, C); rs (B, R) the previous row selector,
    rs2 (B, R) the one before it (read by "and"); compare: op -> (B, R, C) soft comparison cells (static). Returns
    scalar (B,), lookup (B, R, C), rows (B, R). scalar and lookup are overwritten every step (spec §4.3); only
    step T's are answers."""
    a = {name: p for name, p in zip(names, p_op.unbind(-1), strict=True)}
    dtype = rs.dtype
    row_mask = table.row_mask.to(dtype)
    scalar = a["count"] * rs.sum(-1)
    lookup = (a["print"][:, None] * p_col)[:, None, :] * rs[:, :, None] * table.cell_mask.to(dtype)

    def w(name):  # (B, 1, 1) weight of a column op, broadcast over cells
        return a[name][:, None, None]

    top = soft_superlative(rs, table.valid, table.order_desc)
    bottom = soft_superlative(rs, table.valid, table.order_asc)
    cells = (w("mfe") * table.most_frequent.to(dtype) + w("select") * table.entry_match.to(dtype)
             + w("argmax") * top + w("argmin") * bottom)
    if "sum" in a:
        scalar = scalar + soft_column_scalars(a, p_col, rs, table, top, bottom)
    for op in COMPARISONS:
        cells = cells + w(op) * compare[op]
    rows = torch.bmm(cells, p_col[:, :, None])[..., 0]  # Σ_c κ(c) · R_op[c]
    rows = (rows + a["prev"][:, None] * F.pad(rs[:, 1:], (0, 1))  # the row before each selected row
            + a["next"][:, None] * F.pad(rs[:, :-1], (1, 0))  # the row after
            + a["first"][:, None] * soft_first(rs) + a["last"][:, None] * soft_first(rs.flip(1)).flip(1)
            + a["reset"][:, None] * row_mask)
    if "and" in a:
        rows = rows + a["and"][:, None] * rs * (row_mask if rs2 is None else rs2)
    return scalar, lookup, rows * row_mask


def _first_true(x: torch.Tensor) -> torch.Tensor:
    """One-hot of the first True along dim 1 (all False stays all False). (B, R) bool -> (B, R) bool"""
    first = F.one_hot(x.to(torch.uint8).argmax(1), x.shape[1]).bool()
    return first & x.any(1, keepdim=True)


def hard_step(op: torch.Tensor, col: torch.Tensor, pivot: torch.Tensor, rs: torch.Tensor, table: Table,
              rs2: torch.Tensor | None = None):
    """One step of the discrete program. op, col (B,) long (op indexes ALL_OPS); pivot (B, 4) long: the number
    each comparison (COMPARISONS order) reads; rs (B, R) bool, rs2 the selection before it. Returns scalar (B,)
    float64, lookup (B, R, C) bool, rows (B, R) bool. Ties of argmax/argmin go to the first row in table order,
    as TF's stable sort does."""
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
    scalars = [rs.sum(-1).to(torch.float64)]  # count's; then the larger language's, when a program uses it
    extended = bool((op >= len(OPS)).any())
    if extended:
        outputs |= {name: none for name in COLUMN_SCALARS}
        outputs["and"] = rs & (table.row_mask if rs2 is None else rs2)
        scalars += _column_scalars(values, candidates, column(table.cell_key), rs)
    stacked = torch.stack([outputs[name] for name in (ALL_OPS if extended else OPS)], 1)  # (B, O, R)
    rows = stacked.gather(1, op[:, None, None].expand(B, 1, R))[:, 0] & table.row_mask
    is_print = op == OP["print"]
    which = torch.full_like(op, len(scalars))  # the op's scalar among `scalars`; past the end: none (0)
    for k, name in enumerate(SCALAR_OPS[:len(scalars)]):
        which = torch.where(op == OP[name], k, which)
    scalar = torch.cat([torch.stack(scalars, 1), torch.zeros_like(scalars[0])[:, None]], 1) \
        .gather(1, which[:, None])[:, 0]
    lookup = (is_print[:, None, None] & rs[:, :, None] & F.one_hot(col, C).bool()[:, None, :]) & table.cell_mask
    return scalar, lookup, rows


def _column_scalars(values, candidates, keys, rs) -> list[torch.Tensor]:
    """sum, average, distinct, diff of the chosen column over the selected rows (COLUMN_SCALARS order); 0 where
    no selected cell has a value (a distinct count reads the cells' text: empty cells are not counted).
    values (B, R) float64; candidates (B, R) bool: selected with a value; keys (B, R) long; rs (B, R) bool."""
    n = candidates.sum(-1)
    total = torch.where(candidates, values, 0.0).sum(-1)
    mean = torch.where(n > 0, total / n.clamp(min=1), 0.0)
    spread = torch.where(n > 0, values.masked_fill(~candidates, -torch.inf).amax(-1)
                         - values.masked_fill(~candidates, torch.inf).amin(-1), 0.0)
    # the selected cells' texts, sorted: a new value starts wherever the text changes (empty and unselected: −1)
    texts = torch.sort(torch.where(rs & (keys >= 0), keys, -1), dim=1).values  # (B, R)
    new = torch.cat([texts[:, :1] >= 0, (texts[:, 1:] != texts[:, :-1]) & (texts[:, 1:] >= 0)], 1)
    distinct = new.sum(-1).to(torch.float64)
    return [total, mean, distinct, spread]


def run_soft(p_ops, p_cols, betas: dict, table: Table, mode: str = "expected_comparison", names=OPS):
    """Soft execution of T steps. p_ops (B, T, O) over `names`; p_cols (B, T, C); betas: comparison -> (B, N).
    Returns scalar_T (B,), lookup_T (B, R, C) and the row selections of every step (B, T, R)."""
    compare = {op: soft_comparison(table, op, betas[op], mode) for op in COMPARISONS}
    rs = rs2 = table.row_mask.to(p_ops.dtype)  # rs_0 (and before it): every real row
    rows = []
    for t in range(p_ops.shape[1]):
        scalar, lookup, new = soft_step(p_ops[:, t], p_cols[:, t], rs, table, compare, rs2, names)
        rs, rs2 = new, rs
        rows.append(rs)
    return scalar, lookup, torch.stack(rows, 1)


def run_hard(ops, cols, pivots, table: Table):
    """The discrete program. ops, cols (B, T) long; pivots (B, 4) long.
    Returns scalar_T (B,) float64, lookup_T (B, R, C) bool, rows (B, T, R) bool."""
    rs = rs2 = table.row_mask
    rows = []
    for t in range(ops.shape[1]):
        scalar, lookup, new = hard_step(ops[:, t], cols[:, t], pivots, rs, table, rs2)
        rs, rs2 = new, rs
        rows.append(rs)
    return scalar, lookup, torch.stack(rows, 1)
