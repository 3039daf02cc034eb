"""Program search: an auxiliary loss that rewards the programs which really answer the question.

Soft execution alone lets a *mixture* of operations fit an answer without being any program (half `greater` +
half `lesser` looks like their `and`), and a step read only through a later and/or gets no gradient once that
step has committed elsewhere: both trap training. So each step also tries discrete programs per question (the
argmax one, those remembered for its wording, samples from the model's distributions plus uniform exploration),
executes them hard and maximises the marginal likelihood of those giving exactly the right answer (only the final
answers are used, as in the paper). The history RNN reads the soft distributions, so one soft forward pass gives
every program's per-step distributions; a discrete program reads one column per step, so its hard execution works
on (K*B, M) row vectors instead of (B, M, C) cell tensors: 5-10x less work.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from engine.core.loop import DivergedError
from engine.core.marginal import marginal_loss
from engine.np2016.batch import Batch
from engine.np2016.evaluate import SCALAR_TOLERANCE, op_kinds
from engine.np2016.ops import COLUMN_OPS

# Logits at or below this are masked positions (the model writes -1e9 there); every row has at least one
# entry above it (a batch always has a column and a number slot), or the model's scores have diverged.
MASKED = -1e8


def check_logits(out: dict) -> None:
    """DivergedError unless every distribution the search samples from is a real one: a diverging run drives the
    scores to NaN, infinity or below MASKED while the loss may still be finite, and torch.multinomial then fails."""
    named = [("operation", out["op_logits"]), ("column", out["col_logits"])]
    named += [(f"{op} pivot", lg) for op, lg in out["pivot_logits"].items()]
    for name, logits in named:
        if not torch.isfinite(logits).all():
            raise DivergedError(f"the model's {name} scores became NaN or infinite")
        if not (logits > MASKED).any(-1).all():
            raise DivergedError(f"the model's {name} scores overflowed (every one below {MASKED:g})")


def _sample(logits, k: int, epsilon: float, generator) -> torch.Tensor:
    """k samples (k, ...) from softmax(logits) mixed with epsilon uniform."""
    probs = F.softmax(logits, -1)
    valid = (logits > MASKED).to(probs.dtype)
    probs = (1 - epsilon) * probs + epsilon * valid / valid.sum(-1, keepdim=True)
    if k == 0:
        return torch.zeros(0, *probs.shape[:-1], dtype=torch.long)
    draws = torch.multinomial(probs.reshape(-1, probs.shape[-1]), k, replacement=True, generator=generator)  # (N, k)
    return draws.T.reshape(k, *probs.shape[:-1])


def execute_programs(ops, op_s, col_s, pivots: dict, batch: Batch):
    """Hard execution of discrete programs, ops.execute_step with one-hot choices. op_s, col_s: (K, B, T) op and
    column indices; pivots: comparison op -> (K, B) index among the question's numbers. Returns the last scalar
    (K, B), rs_{T-1} that a final assign reads (K, B, M) and each program's correctness (K, B). Rows are 0/1, so
    bool tensors serve (and/or as &/|: the min/max and product forms agree on them)."""
    K, B, T = op_s.shape
    _, M, C = batch.values.shape
    kb = torch.arange(B).repeat(K)  # (KB,) the question of each program
    per_column = lambda cells: cells.transpose(1, 2).reshape(B * C, M)  # noqa: E731  (B*C, M)
    values = per_column(batch.values)
    usable = per_column((batch.valid * (1 - batch.text_col)[:, None, :]) > 0)  # numeric, non-empty cells
    text = per_column((batch.entry_match * batch.text_col[:, None, :]) > 0)
    row_mask = batch.row_mask[kb] > 0  # (KB, M)
    pivot = {op: batch.numbers[kb, p.reshape(-1)][:, None] for op, p in pivots.items()}  # (KB, 1)

    # which candidate row selection (and which candidate scalar) each op writes; 0 = none
    row_kinds = ("reset", "and", "or", "greater", "lesser", "text_match")
    scalar_kinds = ("count", "sum", "difference")
    row_of = torch.tensor([row_kinds.index(o) + 1 if o in row_kinds else 0 for o in ops])
    scalar_of = torch.tensor([scalar_kinds.index(o) + 1 if o in scalar_kinds else 0 for o in ops])
    none = torch.zeros_like(row_mask)
    zero = torch.zeros(K * B)
    rs1, rs2, s1, s2, s3 = row_mask, row_mask, zero, zero, zero
    for t in range(T):
        op, cell = op_s[:, :, t].reshape(-1), kb * C + col_s[:, :, t].reshape(-1)  # (KB,)
        x = values[cell]  # (KB, M) the chosen column
        rows = torch.stack([
            none, row_mask, rs1 & rs2, rs1 | rs2,
            (x > pivot["greater"]) & usable[cell] if "greater" in pivot else none,
            (x < pivot["lesser"]) & usable[cell] if "lesser" in pivot else none,
            text[cell] if "text_match" in ops else none], 1)[torch.arange(K * B), row_of[op]]  # (KB, M)
        scalar = torch.stack([zero, rs1.sum(-1).to(zero.dtype), (x * rs1).sum(-1), s3 - s1], 1) \
            .gather(1, scalar_of[op][:, None])[:, 0]  # (KB,)
        if t < T - 1:
            rs1, rs2, s1, s2, s3 = rows, rs1, scalar, s1, s2

    # correctness as evaluate.answer_correct counts it: a scalar op for scalar answers, and for lookups
    # an assign whose cells (the chosen column of rs_{T-1}) are exactly the answer's cells
    kinds = op_kinds(ops)[op_s[:, :, -1]]  # (K, B)
    scalar = scalar.reshape(K, B)
    scalar_ok = ((scalar - batch.target_scalar).abs() < SCALAR_TOLERANCE) & (kinds == 0)
    target = per_column(batch.target_cells > 0.5)  # (B*C, M)
    target_col = target[cell]  # (KB, M) the answer's cells in the last step's column
    all_in_col = target_col.sum(-1) == target.reshape(B, C * M).sum(-1)[kb]
    lookup_ok = (~(rs1 ^ target_col).any(-1) & all_in_col).reshape(K, B) & (kinds == 1)
    correct = torch.where(batch.is_scalar > 0, scalar_ok, lookup_ok)
    return scalar, rs1.reshape(K, B, M), correct


class ProgramMemory:
    """The programs that answered each question right, kept across training steps and tried again.

    Sampling rarely finds a program that needs three or four steps to change at once (`sum; reset; count;
    difference`), and without a memory each find nudges the model once and is lost. Keyed by the question's words
    (numbers removed, so the wording shares the entry across tables), it keeps the op sequences and pivots that
    worked, most successful first, for search_loss to execute again on later tables with that wording (as MAPO,
    Liang et al. 2018). Columns are not stored: with shuffled names a wording means another column elsewhere.
    """

    def __init__(self, size: int = 4, pivot_ops=("greater", "lesser")):
        self.size, self.pivot_ops = size, tuple(pivot_ops)
        self.entries: dict[tuple, dict[tuple, int]] = {}  # key -> {program: times right}, most right first

    def keys(self, batch: Batch) -> list[tuple]:
        """Each question's words and where its numbers stand (stored pivots index those numbers)."""
        numbers = (batch.number_left * batch.number_mask.long() - (1 - batch.number_mask.long())).tolist()
        words = batch.question_ids.tolist()
        return [(tuple(w[:n]), tuple(x)) for w, n, x in zip(words, batch.question_len.tolist(), numbers,
                                                              strict=True)]

    def programs(self, ops, pivots: dict, op_index: dict):
        """Programs as memory rows (..., T + P): ops, then one pivot per pivot op (0 where unused: one entry)."""
        unused = torch.zeros_like(ops[..., :1])
        return torch.cat([ops] + [(pivots[op] * (ops == op_index[op]).any(-1))[..., None]
                                  if op in op_index and op in pivots else unused for op in self.pivot_ops], -1)

    def recall(self, keys: list[tuple], steps: int):
        """Stored programs: ops (S, B, T), pivots {op: (S, B)}, present (S, B) bool, and each question's tuples."""
        recalled = [list(self.entries.get(key, ()))[:self.size] for key in keys]
        width = steps + len(self.pivot_ops)
        padded = [[progs[s] if s < len(progs) else (0,) * width for progs in recalled] for s in range(self.size)]
        table = torch.tensor(padded, dtype=torch.long).view(self.size, len(keys), width)  # (S, B, T + P)
        present = torch.tensor([[s < len(progs) for progs in recalled] for s in range(self.size)],
                               dtype=torch.bool).view(self.size, len(keys))
        pivots = {op: table[..., steps + i] for i, op in enumerate(self.pivot_ops)}
        return table[..., :steps], pivots, present, recalled

    def store(self, keys: list[tuple], recalled: list[list], recalled_ok, best_programs, found) -> None:
        """Count the recalled programs right again (recalled_ok (S, B)); add each question's best new find
        (best_programs (B, T + P) where found (B,))."""
        touched = set()
        for s, b in torch.nonzero(recalled_ok).tolist():
            self.entries[keys[b]][recalled[b][s]] += 1
            touched.add(keys[b])
        for b, program in zip(torch.nonzero(found).flatten().tolist(), best_programs[found].tolist(), strict=True):
            entry, program = self.entries.setdefault(keys[b], {}), tuple(program)
            if program not in entry:
                if len(entry) >= self.size:  # make room: forget the least successful program
                    del entry[min(entry, key=entry.get)]
                entry[program] = 1
                touched.add(keys[b])
        for key in touched:  # most successful first
            self.entries[key] = dict(sorted(self.entries[key].items(), key=lambda kv: -kv[1]))


def search_loss(model, out: dict, batch: Batch, samples: int = 8, epsilon: float = 0.1, generator=None,
                memory: ProgramMemory | None = None, explore_solved: bool = False):
    """Per question: -log P(its right programs among those tried), 0 where none was found; and that found
    mask. (B,), (B,) bool

    Tried: the likeliest program, those remembered for the wording, and `samples - 1` sampled ones, executed only
    for questions the first two leave unsolved (all with explore_solved): exploring a solved question teaches
    little, and late in training that skips most of the work. DivergedError via check_logits.
    """
    check_logits(out)
    ops = model.config.ops
    B, T, O = out["op_logits"].shape
    op_logits, col_logits = out["op_logits"], out["col_logits"]  # (B, T, O), (B, T, C)
    with torch.no_grad():
        # the likeliest program, then the remembered ones (run with the likeliest columns)
        op_s, col_s = op_logits.argmax(-1)[None], col_logits.argmax(-1)[None]  # (1, B, T)
        piv_s = {op: lg.argmax(-1)[None] for op, lg in out["pivot_logits"].items()}  # (1, B)
        present = torch.ones(1, B, dtype=torch.bool)
        if memory is not None:
            keys = memory.keys(batch)
            mem_ops, mem_piv, mem_present, recalled = memory.recall(keys, T)  # (S, B, T), (S, B), (S, B)
            S = mem_ops.shape[0]
            op_s = torch.cat([op_s, mem_ops], 0)
            col_s = torch.cat([col_s, col_s.expand(S, B, T)], 0)
            piv_s = {op: torch.cat([p, mem_piv[op] if op in mem_piv else p.expand(S, B)], 0)
                     for op, p in piv_s.items()}
            present = torch.cat([present, mem_present], 0)
        ok = execute_programs(ops, op_s, col_s, piv_s, batch)[2] & present  # (1 [+ S], B)
        first = ok.shape[0]

        # sampled programs, executed where the question is still unsolved
        draws = max(samples - 1, 0)
        unsolved = torch.ones(B, dtype=torch.bool) if explore_solved else ~ok.any(0)  # (B,)
        draw_ops = _sample(op_logits, draws, epsilon, generator)  # (D, B, T)
        draw_cols = _sample(col_logits, draws, epsilon, generator)  # (D, B, T)
        draw_piv = {op: _sample(lg, draws, epsilon, generator) for op, lg in out["pivot_logits"].items()}
        draw_ok = torch.zeros(draws, B, dtype=torch.bool)
        todo = torch.nonzero(unsolved).flatten()
        if draws and len(todo):
            draw_ok[:, todo] = execute_programs(ops, draw_ops[:, todo], draw_cols[:, todo],
                                                {op: p[:, todo] for op, p in draw_piv.items()},
                                                batch.index(todo))[2]
        op_s, col_s = torch.cat([op_s, draw_ops], 0), torch.cat([col_s, draw_cols], 0)  # (K, B, T)
        piv_s = {op: torch.cat([p, draw_piv[op]], 0) for op, p in piv_s.items()}  # (K, B)
        ok = torch.cat([ok, draw_ok], 0)  # (K, B)
        K = op_s.shape[0]

    # log-probability of each program: ops, plus columns and pivots where the op uses them
    log_op = F.log_softmax(op_logits, -1)[None].expand(K, B, T, O).gather(3, op_s[..., None])[..., 0]
    log_col = F.log_softmax(col_logits, -1)[None].expand(K, B, T, col_logits.shape[-1]) \
        .gather(3, col_s[..., None])[..., 0]
    uses_col = torch.tensor([o in COLUMN_OPS for o in ops])[op_s]  # (K, B, T)
    logp = (log_op + log_col * uses_col).sum(-1)  # (K, B)
    for op, lg in out["pivot_logits"].items():
        used = (op_s == model.op_index[op]).any(-1)  # (K, B)
        logp = logp + F.log_softmax(lg, -1)[None].expand(K, B, lg.shape[-1]) \
            .gather(2, piv_s[op][..., None])[..., 0] * used
    if memory is not None:
        with torch.no_grad():  # remember the likeliest right program of each question (not a recalled one)
            new_ok = ok.clone()
            new_ok[1:first] = False
            best = logp.masked_fill(~new_ok, float("-inf")).argmax(0)  # (B,)
            rows = memory.programs(op_s[best, torch.arange(B)], {op: p[best, torch.arange(B)]
                                                                  for op, p in piv_s.items()}, model.op_index)
            memory.store(keys, recalled, ok[1:first], rows, new_ok.any(0))
    return marginal_loss(logp, ok)  # (B,), (B,)
