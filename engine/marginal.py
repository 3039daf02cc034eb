"""The expected loss over programs: soft execution of every operation sequence at once.

The paper trains on the loss of the *expected output* of the soft mixture. That objective can be met
by a mixture of operations that is no program at all (half `greater` + half `lesser` looks like their
`and`), and a step whose rows are only used through a later and/or gets no gradient once that later
step has committed elsewhere. Both trap training (docs/design.md).

Here we instead compute the *expected loss*, Σ over operation sequences o_1..o_T of
Π_t α_t(o_t) · loss(o_1..o_T), exactly: a tree with O^t nodes at step t, batched as tensors of shape
(B, O^t, M). Columns and pivots stay soft inside each operation (their choices are easy and rarely
trap). With O = 9 and T = 4 the widest level holds 729 row selections per question, which is cheap.
The per-step distributions do not depend on earlier choices (the history RNN reads the soft
probabilities), so one forward pass of the model gives everything this needs.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from .batch import Batch
from .evaluate import lookup_log_loss


def expected_program_loss(out: dict, batch: Batch, ops, huber_delta: float, lookup_weight: float,
                          balanced: bool = True, log_scalar: bool = False) -> torch.Tensor:
    """Mean over the batch of E_programs[loss]. out: a soft forward pass of the model."""
    P, K = out["op_probs"], out["col_probs"]  # (B, T, O), (B, T, C)
    B, T, O = P.shape
    values, row_mask = batch.values, batch.row_mask
    sel = out["cell_selections"]
    idx = {name: i for i, name in enumerate(ops)}
    y = batch.target_scalar[:, None]  # (B, 1)

    def scalar_loss(err):
        if log_scalar:
            return torch.log1p(err.abs())
        return F.huber_loss(err, torch.zeros_like(err), reduction="none", delta=huber_delta)

    # node state: rows before this step (rs_{t-1}, rs_{t-2}) and the scalars s_{t-1}, s_{t-2}, s_{t-3}
    rs1 = rs2 = row_mask[:, None, :]  # (B, N, M) with N = 1 node at the start
    s1 = s2 = s3 = values.new_zeros(B, 1)
    weight = values.new_ones(B, 1)  # probability of reaching each node
    for t in range(T):
        p_col = K[:, t]  # (B, C)
        col_values = torch.einsum("bmc,bc->bm", values, p_col)  # (B, M) the chosen column's values
        outs_s, outs_r = [], []  # per op: scalar (B, N) and rows (B, N, M)
        zero_s, zero_r = s1 * 0, rs1 * 0
        for name in ops:
            scalar, rows = zero_s, zero_r
            if name == "sum":
                scalar = torch.einsum("bnm,bm->bn", rs1, col_values)
            elif name == "count":
                scalar = rs1.sum(-1)
            elif name == "difference":
                scalar = s3 - s1
            elif name in ("greater", "lesser", "text_match"):
                rows = torch.einsum("bmc,bc->bm", sel[name], p_col)[:, None, :].expand_as(rs1)
            elif name == "and":
                rows = torch.minimum(rs1, rs2)
            elif name == "or":
                rows = torch.maximum(rs1, rs2)
            elif name == "reset":
                rows = row_mask[:, None, :].expand_as(rs1)
            outs_s.append(scalar)
            outs_r.append(rows)
        if t == T - 1:
            break
        new_s = torch.stack(outs_s, 2)  # (B, N, O)
        new_r = torch.stack(outs_r, 2)  # (B, N, O, M)
        N = rs1.shape[1]
        weight = (weight[:, :, None] * P[:, t][:, None, :]).reshape(B, N * O)
        rs2 = rs1[:, :, None, :].expand(B, N, O, rs1.shape[-1]).reshape(B, N * O, -1)
        rs1 = new_r.reshape(B, N * O, -1)
        s3 = s2[:, :, None].expand(B, N, O).reshape(B, N * O)
        s2 = s1[:, :, None].expand(B, N, O).reshape(B, N * O)
        s1 = new_s.reshape(B, N * O)

    # last step: the loss of each op's output at every node, weighted by its probability
    is_scalar = batch.is_scalar[:, None]  # (B, 1)
    lookup = p_col[:, None, None, :] * rs1[:, :, :, None]  # (B, N, M, C) assign's output at every node
    assign_loss = lookup_log_loss(lookup, batch, balanced)  # (B, N)
    no_lookup = lookup_log_loss(torch.zeros_like(values), batch, balanced)[:, None] + 1.0  # (B, 1)
    no_scalar = scalar_loss(y.abs() + huber_delta)  # (B, 1) writing no number: as bad as missing by |y|+δ
    expected = 0.0
    for name, scalar in zip(ops, outs_s, strict=True):
        if name in ("sum", "count", "difference"):
            loss = is_scalar * scalar_loss(scalar - y) + (1 - is_scalar) * lookup_weight * no_lookup
        elif name == "assign":
            loss = is_scalar * no_scalar + (1 - is_scalar) * lookup_weight * assign_loss
        else:
            loss = is_scalar * no_scalar + (1 - is_scalar) * lookup_weight * no_lookup
        expected = expected + P[:, T - 1, idx[name]][:, None] * loss  # (B, N)
    return (weight * expected).sum(-1).mean()
