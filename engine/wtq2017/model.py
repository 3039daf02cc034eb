"""The Neural Programmer of Neelakantan et al. (2017) for WikiTableQuestions, spec §3.1 and §3.3–§3.7, in PyTorch.

Question LSTM -> for T steps: question attention keyed by the history, an operation selector, a column selector
that reads the chosen operation, and the history RNN -> execution of the 15 operations (engine/wtq2017/ops.py).

In this model the history RNN reads only the selection probabilities, never the execution's results (spec §3.5),
so all T selections are computed first and the program is executed afterwards: softly for training, or as
the discrete argmax program at test time (`hard_answer`). Weights follow TF's parameter inventory (spec §3.7)."""

from __future__ import annotations

import math

import torch
import torch.nn as nn
import torch.nn.functional as F

from engine.wtq2017.batch import ENTRY_MATCH, Batch
from engine.wtq2017.config import ModelConfig
from engine.wtq2017.decode import argmax_programs, guided_programs
from engine.wtq2017.ops import COMPARISONS, OP, run_soft, table_of

NEG_WORD = -10000.0  # TF's attention mask on padded words and its mask on an absent second number
NEG_COLUMN = -1e8  # TF's mask on empty column slots
UNK_ID = 1  # engine.core.vocab.Vocab: id 1 stands for every unknown word


class NeuralProgrammer(nn.Module):
    """Selects one of 15 operations and one column per step; soft execution in training, hard at test."""

    def __init__(self, config: ModelConfig, vocab):
        super().__init__()
        self.config = config
        d, O = config.d, len(config.op_names)
        if len(vocab) != config.vocab_size:
            raise ValueError(f"the vocabulary has {len(vocab):,} words but config.vocab_size is "
                             f"{config.vocab_size:,}: build the config from the vocabulary")
        # <entry_match>'s embedding enters every column vector (spec §3.4); a buffer, so checkpoints keep it
        self.register_buffer("entry_match_id", torch.tensor(vocab.id(ENTRY_MATCH)), persistent=True)
        self.word = nn.Embedding(config.vocab_size, d)  # TF `word`: questions, column names, match tokens
        self.unit = nn.Parameter(torch.empty(O, d))  # U: operation embeddings (TF `unit`)
        self.lstm_x = nn.Linear(d, 4 * d)  # W_{ix,fx,cx,ox} and the LSTM biases, fused (spec §3.3)
        self.lstm_m = nn.Linear(d, 4 * d, bias=False)  # W_{im,fm,cm,om}
        self.op_prev = nn.Linear(d, d, bias=False)  # W^{op,prev}; TF's selector has no biases (spec §3.4)
        self.op_ctrl = nn.Linear(2 * d, d, bias=False)  # W^{op} over [q ; a_t]
        self.col_prev = nn.Linear(d, d, bias=False)  # W^{col,prev}
        self.col_ctrl = nn.Linear(2 * d, d, bias=False)  # W^{col}
        self.break_cond = nn.Linear(2 * d, d, bias=False)  # W^{break}: the column selector reads α^op Ũ
        self.name_weight = nn.Parameter(torch.empty(1))  # w_m, the column-name match weight
        self.history = nn.Linear(3 * d, d, bias=False)  # W^{hist} over [h_t ; α^op Ũ ; α^col P]
        self.history_bias = nn.Parameter(torch.empty(d))  # b^{hist}, added outside the tanh (TF quirk)
        self.reset_parameters()

    def reset_parameters(self):
        """U[-s, s] everywhere (TF param_init), the forget-gate bias U[1.0, 1.1] (spec §3.7)."""
        s, d = self.config.init_scale, self.config.d
        for p in self.parameters():
            nn.init.uniform_(p, -s, s)
        with torch.no_grad():
            self.lstm_x.bias[d:2 * d].uniform_(1.0, 1.1)  # gate order i, f, c, o

    # ---- regularisation -------------------------------------------------------------------------

    def _drop(self, x):
        """TF's dropout (keep 0.8) on embeddings, selector, column vectors and the history input."""
        return F.dropout(x, 1.0 - self.config.dropout_keep, self.training)

    def _recurrent_mask(self, like):
        """One variational mask per sequence, kept for every step (Gal & Ghahramani; spec §3.3). (B, d)"""
        keep = self.config.rnn_keep
        if not self.training or keep >= 1.0:
            return None
        return torch.bernoulli(torch.full_like(like, keep)) / keep

    # ---- encoders -------------------------------------------------------------------------------

    def encode_question(self, batch: Batch):
        """LSTM over the words (spec §3.3). Returns q (B, d), states z_l (B, Q, d) and the word mask (B, Q)."""
        ids, lengths = batch.question_ids, batch.question_len
        B, Q = ids.shape
        mask = torch.arange(Q, device=ids.device)[None, :] < lengths[:, None]  # (B, Q)
        if self.training and self.config.word_keep < 1.0:  # word dropout: a word becomes <unk>
            dropped = (torch.rand(ids.shape, device=ids.device) >= self.config.word_keep) & mask
            ids = ids.masked_fill(dropped, UNK_ID)
        gates_x = self.lstm_x(self._drop(self.word(ids)))  # (B, Q, 4d), every input product at once
        m = c = gates_x.new_zeros(B, self.config.d)
        rmask = self._recurrent_mask(m)
        states = []
        # unbind, not gates_x[:, pos]: each indexing's backward would fill a zero (B, Q, 4d) gradient
        for pos, x in enumerate(gates_x.unbind(1)):
            i, f, g, o = (x + self.lstm_m(m)).chunk(4, -1)
            c_new = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
            # TF's output is o*c, without the textbook tanh (spec §3.3, A13)
            m_new = torch.sigmoid(o) * (torch.tanh(c_new) if self.config.lstm_output_tanh else c_new)
            if rmask is not None:
                m_new = m_new * rmask
            live = mask[:, pos, None]  # past a question's end its state is held, so q = the last word's state
            c, m = torch.where(live, c_new, c), torch.where(live, m_new, m)
            states.append(m)
        return m, torch.stack(states, 1), mask

    def column_vectors(self, batch: Batch):
        """E[name_c] + n^match_c · E[<entry_match>] (spec §3.4), before dropout. (B, C, d)"""
        ids = batch.name_ids  # (B, C, L)
        if self.config.column_name == "first":  # TF truncates a name to its first word
            name = self.word(ids[:, :, 0])
        else:
            words = (ids > 0).to(self.word.weight.dtype)[..., None]
            name = (self.word(ids) * words).sum(2) / words.sum(2).clamp(min=1.0)
        # n^match_c: the exact matches (batch.match_count), or every cell that matched (the TF code: partial
        # matches count when only those fired, and then they are what entry_match holds)
        count = batch.match_count if self.config.match_count == "exact" else batch.entry_match.sum(1)  # (B, C)
        return name + count[..., None] * self.word(self.entry_match_id)

    def pivot_logits(self, U, Z, batch: Batch):
        """s_k = Ũ(op) · z_{pos(n_k)}, the second masked when absent (spec §3.6). -> (B, 4, 2), COMPARISONS order"""
        Zn = Z[torch.arange(Z.shape[0], device=Z.device)[:, None], batch.number_pos]  # (B, 2, d)
        rows = torch.stack([U[OP[op]] for op in COMPARISONS])  # (4, d)
        logits = torch.einsum("bnd,kd->bkn", Zn, rows)
        second_absent = torch.zeros_like(logits[..., :1]).masked_fill(~batch.number_mask[:, None, 1:], NEG_WORD)
        return torch.cat([logits[..., :1], logits[..., 1:] + second_absent], -1)

    # ---- the T selections and the soft program --------------------------------------------------

    def forward(self, batch: Batch, execute: bool = True) -> dict:
        """Selections of every step, then (with `execute`) soft execution. Per-step (B, T, ...) tensors serve the
        trace. Hard decoding reads only the selections: answering without a trace skips the soft program."""
        cfg = self.config
        q, Z, qmask = self.encode_question(batch)  # (B, d), (B, Q, d), (B, Q)
        U = self._drop(self.unit)  # Ũ, one mask per forward pass
        P = self.column_vectors(batch)  # (B, C, d)
        B = q.shape[0]
        col_bias = self.name_weight * batch.name_match + (1 - batch.col_mask) * NEG_COLUMN  # (B, C)
        h = q.new_zeros(B, cfg.d)  # h_1 = 0
        hmask = self._recurrent_mask(h)
        steps = []
        for _ in range(cfg.T):
            scores = torch.bmm(Z, h[:, :, None])[..., 0].masked_fill(~qmask, NEG_WORD)  # (B, Q)
            attention = F.softmax(scores, -1)
            qa = torch.cat([q, torch.bmm(attention[:, None], Z)[:, 0]], -1)  # [q ; a_t] (B, 2d)
            g_op = self._drop(F.relu(self.op_prev(h) + self.op_ctrl(qa)))
            op_logits = g_op @ U.T  # (B, O)
            p_op = F.softmax(op_logits, -1)
            op_vec = p_op @ U  # α^op Ũ (B, d)
            g_col = F.relu(self.col_prev(h) + self.col_ctrl(qa))
            g_col = F.relu(self.break_cond(torch.cat([g_col, op_vec], -1)))  # the column depends on the op
            P_t = self._drop(P)  # (B, C, d), a fresh mask per step as in TF
            col_logits = torch.bmm(P_t, self._drop(g_col)[:, :, None])[..., 0] + col_bias  # (B, C)
            p_col = F.softmax(col_logits, -1)
            # the history always reads the soft distributions, at test time too (spec §3.5)
            x = self._drop(torch.cat([op_vec, torch.bmm(p_col[:, None], P_t)[:, 0]], -1))
            h = torch.tanh(self.history(torch.cat([h, x], -1))) + self.history_bias
            if hmask is not None:
                h = h * hmask
            steps.append((op_logits, col_logits, p_op, p_col, attention))
        keys = ("op_logits", "col_logits", "op_probs", "col_probs", "attention")
        result = {k: torch.stack(v, 1) for k, v in zip(keys, zip(*steps, strict=True), strict=True)}  # (B, T, ...)
        result["pivot_logits"] = self.pivot_logits(U, Z, batch)  # (B, 4, 2)
        result["pivot_probs"] = F.softmax(result["pivot_logits"], -1)
        if execute:
            betas = {op: result["pivot_probs"][:, k] for k, op in enumerate(COMPARISONS)}
            scalar, lookup, rows = run_soft(result["op_probs"], result["col_probs"], betas, table_of(batch),
                                            cfg.pivot, cfg.op_names)
            result.update(scalar=scalar, lookup=lookup, rows=rows)  # (B,), (B, R, C), (B, T, R)
        return result

    # ---- test time ------------------------------------------------------------------------------

    @torch.no_grad()
    def hard_answer(self, batch: Batch, out: dict | None = None, beam: int = 0,
                    rows: list[list[list]] | None = None) -> list[dict]:
        """Every example's program executed discretely (engine/wtq2017/decode.py gives the answers' form): the
        per-step argmax program (the paper's test time, spec §9), or with `beam` K ≥ 1 the most probable of the K
        most probable programs whose answer is an answer (`rows`: each example's cells as written)."""
        if out is None:
            was = self.training
            self.eval()
            try:
                out = self(batch, execute=False)  # the discrete program needs no soft one
            finally:
                self.train(was)
        if beam:
            return guided_programs(out, table_of(batch), batch, rows, beam)
        return argmax_programs(out, table_of(batch), batch)


# ---- the loss ------------------------------------------------------------------------------------
# The 2017 weak-supervision loss, TF's exact per-example form (spec §5.3), and its weight decay.
#
# Scalar answers: ½(ŝ − y)² / rows, capped (no gradient above the cap). Lookup answers: −log p on the best cell
# of each answer item plus −log(1 − p) on every other cell, scaled by print_cost / cells. Number answers that
# are also cells: a soft minimum of the two, clamped at 0. Computed in float64 as TF does.
#
# −log p of an answer cell is computed in log space: p = α_T(print) · κ_T(c) · rs_{T−1}[i] (spec §4.3), so
# log p = log_softmax(op)[print] + log_softmax(col)[c] + log rs_{T−1}[i]. TF's −log(p + 1e−300) is then
# −logaddexp(log p, log 1e−300). The float32 probabilities themselves underflow long before 1e−300: a model
# that has learnt not to print (p ~ 1e−30) would get no gradient towards the answer from log(p + eps).

LOG_TF_EPS = math.log(1e-300)  # TF's epsilon inside −log(p + 1e−300)


def log_lookup(out: dict, batch: Batch) -> torch.Tensor:
    """log of the step-T soft lookup answer, from the selection logits and rs_{T−1}. (B, R, C) float64;
    −inf where p = 0 exactly (its gradient is then 0, never NaN)."""
    log_print = F.log_softmax(out["op_logits"][:, -1].double(), -1)[:, OP["print"]]  # (B,)
    log_col = F.log_softmax(out["col_logits"][:, -1].double(), -1)  # (B, C)
    rows = out["rows"]  # (B, T, R) row selections after each step; print reads the one before step T
    rs = (rows[:, -2] if rows.shape[1] > 1 else batch.row_mask).double()
    log_rs = torch.where(rs > 0, torch.log(rs.clamp(min=1e-300)), torch.full_like(rs, -torch.inf))
    return log_print[:, None, None] + log_col[:, None, :] + log_rs[:, :, None]


def example_losses(out: dict, batch: Batch, config: ModelConfig) -> torch.Tensor:
    """L_b for every example (B,), 0 for an example with no target (has_scalar and has_lookup both false)."""
    lookup = out["lookup"].to(torch.float64)  # (B, R, C) soft lookup answer of step T
    scalar = out["scalar"].to(torch.float64)  # (B,)
    cells = batch.cell_mask
    answer = batch.answer  # (B, R, C) cells matching some answer item
    hit = -torch.logaddexp(log_lookup(out, batch), torch.tensor(LOG_TF_EPS, dtype=torch.float64))
    e = torch.where(answer, hit, -torch.log1p(-lookup.clamp(max=1 - 1e-12)))
    e = e * cells  # padding and empty slots cost nothing
    wrong = (e * (~answer)).sum((1, 2))  # (B,)
    # the best cell of each item: a minimum over its (cell, item) pairs; items without cells stay +inf -> 0
    B, K = e.shape[0], batch.items
    best = e.new_full((B * K,), torch.inf).scatter_reduce(0, batch.item_index, e.reshape(-1)[batch.item_cells],
                                                          "amin", include_self=True).view(B, K)
    best = torch.where(torch.isfinite(best), best, torch.zeros_like(best)).sum(-1)
    n_cells = cells.sum((1, 2)).clamp(min=1).to(torch.float64)
    lookup_loss = config.print_cost / n_cells * (wrong + best)
    rows = batch.row_mask.sum(-1).clamp(min=1).to(torch.float64)
    # clamp's gradient is 0 above the cap: TF does not back-propagate examples with a large scalar error
    scalar_loss = (0.5 * (scalar - batch.scalar_target) ** 2 / rows).clamp(max=config.max_math_error)
    temp = config.soft_min_value
    soft_min = (-torch.logaddexp(-temp * scalar_loss, -temp * lookup_loss) / temp).clamp(min=0.0)
    lookup_or_none = torch.where(batch.has_lookup, lookup_loss, torch.zeros_like(scalar_loss))
    return torch.where(batch.has_scalar & batch.has_lookup, soft_min,
                       torch.where(batch.has_scalar, scalar_loss, lookup_or_none))


def batch_loss(out: dict, batch: Batch, config: ModelConfig) -> torch.Tensor:
    """Mean of L_b over the batch's examples that have a target (TF: over the batch, all of which do)."""
    has_target = (batch.has_scalar | batch.has_lookup).to(torch.float64)
    return (example_losses(out, batch, config) * has_target).sum() / has_target.sum().clamp(min=1)


def weight_decay(model: torch.nn.Module, l2: float) -> torch.Tensor:
    """l2 · Σ_θ ½‖θ‖² over every parameter, embeddings included (spec §5.3, TF l2_regularizer)."""
    # summed in the parameters' own dtype (a float64 copy of every weight each step costs more than the rest
    # of the loss); the sum is then float64 like the loss
    return l2 * 0.5 * sum(p.pow(2).sum() for p in model.parameters()).to(torch.float64)
