"""From the model's selections to programs and answers: the per-step argmax program (the paper's test time, spec
§9), and execution-guided beam decoding (issue 21): the K most probable programs, each executed, answering with the
most probable one whose answer is an answer.

The history reads the soft distributions at every step (spec §3.5), so step t's distributions do not depend on the
program chosen: a program's probability is the product over steps of p_op(o_t), times p_col(c_t) for the ops that
read a column. A beam of width K over that product is exact: a prefix outside the K best has K better prefixes that
each take the same suffix. The most probable program can differ from the per-step argmax: a column-free op is not
charged for a column.
"""

from __future__ import annotations

from dataclasses import fields

import torch
import torch.nn.functional as F

from engine.wtq2017.config import ALL_OPS
from engine.wtq2017.ops import COLUMN_OPS, COMPARISONS, OP, SCALAR_OPS, Table, run_hard

READS_COLUMN = torch.tensor([name in COLUMN_OPS for name in ALL_OPS])  # (every op,); a model reads its first O
# why a candidate's answer is not taken, checked in this order: answers that are right for almost no question
REJECTIONS = ("no answer: ends on a row selection", "no cell printed", "a count of zero", "only empty cells")


def answers_of(batch, example: list[int], ops, cols, pivots, scalar, lookup) -> list[dict]:
    """Executed programs as answers. ops, cols (N, T) long; pivots (N, 4); scalar (N,); lookup (N, R, C);
    example[n]: the batch example of row n. Per row: {"kind": "scalar", "value"} when step T computes a number,
    {"kind": "cells", "cells": [[row, table column], ...]} when it prints, else {"kind": "none"}; "program": per
    step {"op", "column" (table column or None), "pivot" (number or None)}."""
    has_first = batch.number_mask[:, 0].tolist()
    answers = []
    for n, (op_row, col_row, pivot_row) in enumerate(zip(ops.tolist(), cols.tolist(), pivots.tolist(), strict=True)):
        b = example[n]
        slots, program = batch.slot_columns[b], []
        for o, c in zip(op_row, col_row, strict=True):
            name = ALL_OPS[o]
            k = pivot_row[COMPARISONS.index(name)] if name in COMPARISONS else 0
            has = name in COMPARISONS and has_first[b] and bool(batch.number_mask[b, k])
            program.append({"op": name, "column": slots[c] if name in COLUMN_OPS else None,
                            "pivot": float(batch.numbers[b, k]) if has else None})
        if ALL_OPS[op_row[-1]] in SCALAR_OPS:
            answer = {"kind": "scalar", "value": float(scalar[n])}
        elif op_row[-1] == OP["print"]:  # (row, slot) in row order
            answer = {"kind": "cells", "cells": [[r, slots[s]] for r, s in lookup[n].nonzero().tolist()]}
        else:
            answer = {"kind": "none"}
        answers.append({**answer, "program": program})
    return answers


def argmax_programs(out: dict, table: Table, batch) -> list[dict]:
    """The per-step argmax program of every example, executed (first on ties), with its "probability" (as
    top_programs counts it); sets out["hard_rows"]."""
    ops, cols = out["op_logits"].argmax(-1), out["col_logits"].argmax(-1)  # (B, T)
    pivots = out["pivot_logits"].argmax(-1)  # (B, 4)
    scalar, lookup, rows = run_hard(ops, cols, pivots, table)
    out["hard_rows"] = rows  # (B, T, R) bool, the discrete program's rows after each step (the trace's)
    log_op = F.log_softmax(out["op_logits"].double(), -1).gather(-1, ops[..., None])[..., 0]  # (B, T)
    log_col = F.log_softmax(out["col_logits"].double(), -1).gather(-1, cols[..., None])[..., 0]
    reads = READS_COLUMN.to(ops.device)[ops]  # (B, T)
    probability = (log_op + torch.where(reads, log_col, 0.0)).sum(-1).exp().tolist()  # (B,)
    answers = answers_of(batch, list(range(len(batch))), ops, cols, pivots, scalar, lookup)
    return [{**a, "probability": p} for a, p in zip(answers, probability, strict=True)]


def top_programs(out: dict, width: int, col_mask: torch.Tensor | None = None):
    """The `width` most probable programs of every example, best first: ops, cols (B, K, T) long and their
    log-probabilities (B, K); K = min(width, the programs the example with the fewest has). col_mask (B, C): the
    slots that hold a column (None: all); a program never reads an empty slot."""
    log_op = F.log_softmax(out["op_logits"].double(), -1)  # (B, T, O)
    log_col = F.log_softmax(out["col_logits"].double(), -1)  # (B, T, C)
    if col_mask is not None:
        log_col = log_col.masked_fill(~col_mask.bool()[:, None], -torch.inf)
    B, T, O = log_op.shape
    C = log_col.shape[-1]
    # a column-free op keeps the step's likeliest column (what it executes with), at no cost
    only_best = torch.where(F.one_hot(log_col.argmax(-1), C).bool(), 0.0, -torch.inf)  # (B, T, C)
    reads = READS_COLUMN.to(log_op.device)[:O, None]  # (O, 1)
    column_term = torch.where(reads, log_col[:, :, None], only_best[:, :, None])  # (B, T, O, C)
    per_step = (log_op[..., None] + column_term).reshape(B, T, O * C)
    programs = int(per_step.isfinite().sum(-1).prod(-1).min())  # what the example with the fewest has
    scores = log_op.new_zeros(B, 1)  # one empty prefix
    history = torch.zeros(B, 1, 0, dtype=torch.long, device=log_op.device)
    for t in range(T):
        total = (scores[..., None] + per_step[:, t, None]).reshape(B, -1)  # (B, K * O * C)
        # impossible prefixes (−inf) rank last, so at the end the K kept are all possible
        scores, flat = total.topk(min(width, total.shape[1], programs if t == T - 1 else width), -1)  # (B, K)
        parent = flat // (O * C)
        history = torch.cat([history.gather(1, parent[..., None].expand(-1, -1, t)), (flat % (O * C))[..., None]], -1)
    return history // C, history % C, scores


def rejection(rows: list[list], answer: dict) -> str | None:
    """Why `answer` (answers_of's) is not taken as the answer (REJECTIONS), None when it is; `rows`: the table's
    cells as written."""
    if answer["kind"] == "scalar":
        return REJECTIONS[2] if answer["value"] == 0 else None
    if answer["kind"] != "cells":
        return REJECTIONS[0]
    if not answer["cells"]:
        return REJECTIONS[1]
    blank = all(rows[r][c] is None or not str(rows[r][c]).strip() for r, c in answer["cells"])
    return REJECTIONS[3] if blank else None


def _repeat(table: Table, k: int) -> Table:
    return Table(**{f.name: getattr(table, f.name).repeat_interleave(k, 0) for f in fields(Table)})


def guided_programs(out: dict, table: Table, batch, rows: list[list[list]], width: int) -> list[dict]:
    """Execution-guided decoding with a beam of `width`: per example, the answer and "probability" (as
    argmax_programs gives them) of the most probable candidate whose answer is not rejected (the most probable
    one when all are), with "candidates": every program considered, best first, each {"program", "probability",
    "answer", "rejected" (a REJECTIONS reason or None)}, and "chosen": its index. `rows[b]`: example b's cells as
    written. Sets out["hard_rows"] to the chosen programs' rows."""
    ops, cols, log_p = top_programs(out, width, batch.col_mask)  # (B, K, T), (B, K, T), (B, K)
    B, K, T = ops.shape
    pivots = out["pivot_logits"].argmax(-1).repeat_interleave(K, 0)  # (B*K, 4)
    flat_ops, flat_cols = ops.reshape(B * K, T), cols.reshape(B * K, T)
    scalar, lookup, hard_rows = run_hard(flat_ops, flat_cols, pivots, _repeat(table, K))
    executed = answers_of(batch, [n // K for n in range(B * K)], flat_ops, flat_cols, pivots, scalar, lookup)
    probability = log_p.exp().tolist()
    answers, chosen_rows = [], []
    for b in range(B):
        candidates = [{"program": a["program"], "probability": p, "rejected": rejection(rows[b], a),
                       "answer": {k: v for k, v in a.items() if k != "program"}}
                      for a, p in zip(executed[b * K:(b + 1) * K], probability[b], strict=True)]
        chosen = next((k for k, c in enumerate(candidates) if c["rejected"] is None), 0)
        answers.append({**executed[b * K + chosen], "probability": candidates[chosen]["probability"],
                        "candidates": candidates, "chosen": chosen})
        chosen_rows.append(hard_rows[b * K + chosen])
    out["hard_rows"] = torch.stack(chosen_rows)  # (B, T, R)
    return answers
