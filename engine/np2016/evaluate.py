"""Loss (spec §5.1) and accuracy as the paper counts it (hard execution, spec §7.6, §9)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable

import torch
import torch.nn.functional as F

from engine.core.device import model_device
from engine.np2016.batch import Batch, encode, size_batches
from engine.np2016.ops import LOOKUP_OPS, SCALAR_OPS

SCALAR_TOLERANCE = 0.05  # "equal up to the first decimal place"
EPS = 1e-6


def lookup_log_loss(p, batch: Batch, balanced: bool = False):
    """Binary log-loss over the real cells. p: (B, M, C) -> (B,)

    balanced=False: the mean over all cells (spec §5.1). balanced=True: the mean over answer cells plus that over
    the other cells, so the few answer cells are not outvoted; else "select nothing" is the cheapest early move
    and the filters feeding and/or are never learned (the 2017 paper also weighs answer cells apart, spec §5.2).
    """
    p = p.clamp(EPS, 1 - EPS)
    y = batch.target_cells
    cells = batch.row_mask[:, :, None] * batch.col_mask[:, None, :]  # (B, M, C) real cells
    pos, neg = -(y * p.log()) * cells, -((1 - y) * (1 - p).log()) * cells
    n_cells = cells.sum((-2, -1))
    if not balanced:
        return (pos + neg).sum((-2, -1)) / n_cells.clamp(min=1)
    n_pos = (y * cells).sum((-2, -1))
    return pos.sum((-2, -1)) / n_pos.clamp(min=1) + neg.sum((-2, -1)) / (n_cells - n_pos).clamp(min=1)


def huber(x, y, delta):
    """Elementwise Huber loss; delta a number, or a tensor (one per model when many train at once under vmap)."""
    if not isinstance(delta, torch.Tensor):
        return F.huber_loss(x, y, reduction="none", delta=delta)
    a = (x - y).abs()
    return torch.where(a < delta, 0.5 * a * a, delta * (a - 0.5 * delta))


def loss_fn(out: dict, batch: Batch, huber_delta: float, lookup_weight: float, balanced: bool = False):
    """The paper's loss of the soft mixture at step T (spec §5.1): Huber on scalars plus λ x lookup log-loss."""
    is_scalar = batch.is_scalar
    target = batch.target_scalar.to(out["scalar"].dtype)  # float32 in training, float64 when answering
    scalar_loss = huber(out["scalar"], target, huber_delta)
    lookup_loss = lookup_log_loss(out["lookup"], batch, balanced)
    return (is_scalar * scalar_loss + (1 - is_scalar) * lookup_weight * lookup_loss).mean()


def final_kinds(model, out: dict) -> list[str]:
    """'scalar', 'lookup' or 'none': what the op chosen at the last step writes."""
    last = out["op_logits"][:, -1].argmax(-1)
    kinds = op_kinds(model.config.ops, last.device)[last]
    return [("scalar", "lookup", "none")[k] for k in kinds.tolist()]


def op_kinds(ops, device=None) -> torch.Tensor:
    """(O,) what each op writes: 0 scalar, 1 lookup, 2 rows only (on `device`, default the CPU)."""
    return torch.tensor([0 if o in SCALAR_OPS else 1 if o in LOOKUP_OPS else 2 for o in ops], device=device)


def answer_correct(kinds, scalar, lookup, batch: Batch) -> torch.Tensor:
    """(..., B) bool for hard outputs: kinds (..., B) of the last op, scalar (..., B), lookup (..., B, M, C)."""
    scalar_ok = (scalar - batch.target_scalar).abs() < SCALAR_TOLERANCE
    cells = (batch.row_mask[:, :, None] * batch.col_mask[:, None, :]) > 0
    chosen = (lookup > 0.5) & cells
    lookup_ok = (chosen == (batch.target_cells > 0.5)).all(-1).all(-1)
    return torch.where(batch.is_scalar > 0, scalar_ok & (kinds == 0), lookup_ok & (kinds == 1))


def correct(model, out: dict, batch: Batch) -> torch.Tensor:
    """(B,) bool: the hard answer equals the true one (scalar to 0.05; lookup: exactly the answer's cells)."""
    last = out["op_logits"][:, -1].argmax(-1)
    kinds = op_kinds(model.config.ops, last.device)[last]
    return answer_correct(kinds, out["scalar"], out["lookup"], batch)


@torch.no_grad()
def evaluate(model, batch: Batch, batch_size: int = 500) -> torch.Tensor:
    """Hard-execution correctness of every example in `batch`, run on the model's device. (B,) bool, on the CPU"""
    was_training = model.training
    model.eval()
    device, results = model_device(model), []
    for i in range(0, len(batch), batch_size):
        part = batch.index(slice(i, i + batch_size)).to(device)
        results.append(correct(model, model(part, hard=True), part).cpu())
    model.train(was_training)
    return torch.cat(results)


def template_key(ex: dict) -> str:
    """The template an example was made from, for per-template accuracy: `predict` moves the generator's
    template string to "program_template" and writes the induced program (a list) under "program"."""
    for key in ("program_template", "program", "template"):
        if isinstance(ex.get(key), str):
            return ex[key]
    return "(no template)"


def evaluate_examples(model, vocab, examples: list[dict], batch_size: int = 500,
                      progress: Callable[[int, int, float], None] | None = None) -> dict:
    """Accuracy overall and per template for JSONL-style examples, encoded in groups of similar size
    (batch.size_batches); the flags come back in the examples' order."""
    flags: list[bool | None] = [None] * len(examples)
    done = right = 0
    for group in size_batches(examples, max_batch=batch_size):
        for i, ok in zip(group, evaluate(model, encode([examples[i] for i in group], vocab), batch_size).tolist(),
                         strict=True):
            flags[i] = ok
        done, right = done + len(group), right + sum(flags[i] for i in group)
        if progress:
            progress(done, len(examples), right / done)
    return accuracy_report(examples, flags)


def accuracy_report(examples: list[dict], flags: list[bool]) -> dict:
    """Accuracy overall and per template (`template_key`) of the examples' correctness `flags`."""
    per_template = defaultdict(lambda: [0, 0])
    for ex, ok in zip(examples, flags, strict=True):
        key = template_key(ex)
        per_template[key][0] += int(ok)
        per_template[key][1] += 1
    return {
        "accuracy": sum(flags) / max(len(flags), 1),
        "correct": sum(flags),
        "total": len(flags),
        "per_template": {k: {"correct": c, "total": n} for k, (c, n) in sorted(per_template.items())},
        "flags": flags,
    }
