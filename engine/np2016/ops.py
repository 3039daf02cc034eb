"""The 2016 operations (spec §2.7, §2.9) and their soft combination (spec §2.8), batched.

Every function works on a whole batch at once; nothing loops over rows or cells. With one-hot
(hardmax) operation, column and pivot distributions the soft combination *is* the discrete program,
which is how test-time (hard) execution reuses the same code.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

SCALAR_OPS = ("sum", "count", "difference")
LOOKUP_OPS = ("assign",)
COLUMN_OPS = ("sum", "greater", "lesser", "assign", "text_match")  # ops that take a column argument


def comparisons(values, valid, numbers, beta, beta_lesser=None):
    """Comparison of every cell with a pivot chosen by attention over the question's numbers.

    Our answer to spec ambiguity A1: instead of comparing with the *expected* pivot Σ β_k n_k (a step
    function of it, so β gets no gradient), take the *expected comparison* Σ β_k 1[x > n_k]. It is
    differentiable in β, needs no temperature, and equals the paper's hard comparison when β is one-hot.
    values, valid: (B, M, C); numbers: (B, N); beta: (B, N) -> greater, lesser: (B, M, C)
    beta_lesser: the lesser comparison's own pivot attention (default: beta), so that one call serves both.

    Σ β_k 1[x > n_k] is the total weight of the numbers below x: with the numbers sorted, a prefix sum of
    their weights read at x's place among them (searchsorted). So memory and time grow with the cells
    (B x M x C), not with cells x numbers as a broadcast comparison would; the sums are the same.
    """
    B, M, C = values.shape
    order = numbers.argsort(-1)  # (B, N) the numbers in ascending order
    pivots = numbers.gather(-1, order).contiguous()  # (B, N)
    x = values.reshape(B, M * C).contiguous()  # (B, MC)
    below = torch.searchsorted(pivots, x, side="left")  # (B, MC) how many numbers are < x
    not_above = torch.searchsorted(pivots, x, side="right")  # (B, MC) how many are <= x

    # (B, N + 1), weights in the numbers' ascending order: of the first k numbers; of the numbers from k on
    prefix = F.pad(beta.gather(-1, order).cumsum(-1), (1, 0))
    lesser_beta = beta if beta_lesser is None else beta_lesser
    suffix = F.pad(lesser_beta.gather(-1, order).flip(-1).cumsum(-1).flip(-1), (0, 1))
    greater = prefix.gather(-1, below).view(B, M, C) * valid
    lesser = suffix.gather(-1, not_above).view(B, M, C) * valid
    return greater, lesser


@dataclass
class StepState:
    """What the operations may read: the last three scalars and the last two row selections."""

    scalar: list  # [scalar_{t-1}, scalar_{t-2}, scalar_{t-3}], each (B,)
    rows: list  # [rs_{t-1}, rs_{t-2}], each (B, M)


def execute_step(op_index: dict, p_op, p_col, values, row_mask, greater, lesser, text_match, state,
                 product_logic: bool = False, want_lookup: bool = True):
    """One step of soft execution. op_index: op name -> position in p_op; p_op: (B, O); p_col: (B, C); values:
    (B, M, C); row_mask: (B, M); greater, lesser, text_match: (B, M, C) static cell selections. Returns scalar
    (B,), lookup (B, M, C) (None unless want_lookup: only the last step's is an answer), rows (B, M)."""
    rs1, rs2 = state.rows
    s1, _, s3 = state.scalar
    zero = values.new_zeros(values.shape[0])

    columns = p_op.unbind(-1)  # one op (and one backward) instead of a select per use

    def w(name):  # (B,) probability of an op, 0 when the op is not in this model's set
        i = op_index.get(name)
        return columns[i] if i is not None else zero

    scalar = w("count") * rs1.sum(-1) + w("difference") * (s3 - s1)
    if "sum" in op_index:
        col_sums = torch.bmm(rs1[:, None], values)[:, 0]  # (B, C)
        scalar = scalar + w("sum") * (p_col * col_sums).sum(-1)

    # assign ("print"): the selected rows of the chosen column become the lookup answer
    lookup = (w("assign")[:, None] * p_col)[:, None, :] * rs1[:, :, None] if want_lookup else None  # (B, M, C)

    rows = w("reset")[:, None] * row_mask
    # and/or: min/max as in the paper, or the product forms (equal on 0/1 rows) whose gradient reaches
    # both operands rather than only the smaller/larger one
    if "and" in op_index:
        both = rs1 * rs2 if product_logic else torch.minimum(rs1, rs2)
        rows = rows + w("and")[:, None] * both
    if "or" in op_index:
        either = rs1 + rs2 - rs1 * rs2 if product_logic else torch.maximum(rs1, rs2)
        rows = rows + w("or")[:, None] * either
    cell_select = w("greater")[:, None, None] * greater + w("lesser")[:, None, None] * lesser
    if "text_match" in op_index:
        cell_select = cell_select + w("text_match")[:, None, None] * text_match
    rows = rows + torch.bmm(cell_select, p_col[:, :, None])[..., 0]
    return scalar, lookup, rows


def initial_state(row_mask) -> StepState:
    """Boundary values (spec A2): earlier scalars are 0, earlier row selections are all rows."""
    zero = row_mask.new_zeros(row_mask.shape[0])
    return StepState(scalar=[zero, zero, zero], rows=[row_mask, row_mask])


def advance(state: StepState, scalar, rows) -> StepState:
    return StepState(scalar=[scalar, state.scalar[0], state.scalar[1]], rows=[rows, state.rows[0]])
