"""Program search: an auxiliary loss that rewards the programs which really answer the question.

Soft execution alone lets a *mixture* of operations fit an answer without being any program (e.g. half
`greater` + half `lesser` looks like their `and`), and a step whose output is only used through a
later and/or never gets a gradient once that later step has committed elsewhere. Both trap training.

So at every training step we also sample K discrete programs per question from the model's own
distributions (ops, columns, pivots; the argmax program is always one of them, plus a little uniform
exploration), execute them hard, and for the questions where some sampled program gives exactly the
right answer we maximise the log-probability of those programs (maximum marginal likelihood). Only
the final answers are used, as in the paper. The history RNN reads the soft distributions, so the
per-step distributions do not depend on the sampled choices and one soft forward pass gives them all.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from .batch import Batch
from .evaluate import answer_correct, op_kinds
from .ops import COLUMN_OPS, advance, comparisons, execute_step, initial_state


def _sample(logits, k: int, epsilon: float, generator) -> torch.Tensor:
    """k samples (k, ...) from softmax(logits) mixed with epsilon uniform; sample 0 is the argmax."""
    probs = F.softmax(logits, -1)
    valid = (logits > -1e8).to(probs.dtype)
    probs = (1 - epsilon) * probs + epsilon * valid / valid.sum(-1, keepdim=True)
    flat = probs.reshape(-1, probs.shape[-1])
    draws = torch.multinomial(flat, k - 1, replacement=True, generator=generator)  # (N, k-1)
    draws = draws.T.reshape(k - 1, *probs.shape[:-1])
    return torch.cat([logits.argmax(-1)[None], draws], 0)


def _expand(x, k: int):
    return x.unsqueeze(0).expand(k, *x.shape).reshape(k * x.shape[0], *x.shape[1:])


def search_loss(model, out: dict, batch: Batch, samples: int = 8, epsilon: float = 0.1, generator=None):
    """Per question: -log P(its correct sampled programs), 0 where none was found; and that found mask.
    (B,), (B,) bool"""
    ops = model.config.ops
    op_index = model.op_index
    K, (B, T, O) = samples, out["op_logits"].shape
    op_logits, col_logits = out["op_logits"], out["col_logits"]  # (B, T, O), (B, T, C)
    with torch.no_grad():
        op_s = _sample(op_logits, K, epsilon, generator)  # (K, B, T)
        col_s = _sample(col_logits, K, epsilon, generator)  # (K, B, T)
        piv_s = {op: _sample(lg, K, epsilon, generator) for op, lg in out["pivot_logits"].items()}  # (K, B)

        # hard execution of the K*B programs, batched
        values, valid, numbers = (_expand(t, K) for t in (batch.values, batch.valid, batch.numbers))
        row_mask = _expand(batch.row_mask, K)
        numeric = _expand(1 - batch.text_col, K)[:, None, :]
        text_match = _expand(batch.entry_match * batch.text_col[:, None, :], K)
        KB, M, C = values.shape
        N = numbers.shape[1]
        zeros = values.new_zeros(KB, M, C)
        one_hot = {op: F.one_hot(piv.reshape(KB), N).to(values.dtype) for op, piv in piv_s.items()}  # (KB, N)
        greater = comparisons(values, valid, numbers, one_hot["greater"])[0] * numeric \
            if "greater" in one_hot else zeros
        lesser = comparisons(values, valid, numbers, one_hot["lesser"])[1] * numeric \
            if "lesser" in one_hot else zeros
        state = initial_state(row_mask)
        for t in range(T):
            p_op = F.one_hot(op_s[:, :, t].reshape(KB), O).to(values.dtype)
            p_col = F.one_hot(col_s[:, :, t].reshape(KB), C).to(values.dtype)
            scalar, lookup, rows = execute_step(op_index, p_op, p_col, values, row_mask, greater, lesser,
                                                text_match, state, model.config.product_logic)
            state = advance(state, scalar, rows)
        kinds = op_kinds(ops)[op_s[:, :, -1]]  # (K, B)
        ok = answer_correct(kinds, scalar.reshape(K, B), lookup.reshape(K, B, M, C), batch)  # (K, B)

    # log-probability of each sampled program: ops, plus columns and pivots where the op uses them
    log_op = F.log_softmax(op_logits, -1)[None].expand(K, B, T, O).gather(3, op_s[..., None])[..., 0]
    log_col = F.log_softmax(col_logits, -1)[None].expand(K, B, T, col_logits.shape[-1]) \
        .gather(3, col_s[..., None])[..., 0]
    uses_col = torch.tensor([o in COLUMN_OPS for o in ops])[op_s]  # (K, B, T)
    logp = (log_op + log_col * uses_col).sum(-1)  # (K, B)
    for op, lg in out["pivot_logits"].items():
        used = (op_s == op_index[op]).any(-1)  # (K, B)
        logp = logp + F.log_softmax(lg, -1)[None].expand(K, B, lg.shape[-1]) \
            .gather(2, piv_s[op][..., None])[..., 0] * used
    found = ok.any(0)  # (B,)
    # -log of the total probability of the correct samples (repeats counted once per draw)
    mml = -torch.logsumexp(logp.masked_fill(~ok, -1e9), 0)  # (B,)
    return torch.where(found, mml, torch.zeros_like(mml)), found
