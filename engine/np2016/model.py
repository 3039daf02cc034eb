"""The Neural Programmer of Neelakantan, Le & Sutskever (2016), spec §2, in PyTorch.

Question RNN -> (for T steps) selector over operations and columns -> soft execution of the operations on the
table -> history RNN. Hard (argmax) selection at test time. The neural parts are float32; the execution runs in
float64 whenever the model answers (no gradient, or hard=True), on the batch's exact values, so an answer is as
exact as the numbers it reads. Training's soft execution stays float32 (speed).
"""

from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

from engine.np2016.batch import Batch
from engine.np2016.config import ModelConfig
from engine.np2016.ops import advance, comparisons, execute_step, initial_state

NEG = -1e9  # logit for masked positions


def hardmax(logits):
    """One-hot at the argmax (the first one on ties)."""
    return F.one_hot(logits.argmax(-1), logits.shape[-1]).to(logits.dtype)


class NeuralProgrammer(nn.Module):
    """Selects one operation and one column per step and executes them softly (or hard at test time)."""

    def __init__(self, config: ModelConfig):
        super().__init__()
        self.config = config
        d, O = config.d, len(config.ops)
        qd = 2 * d if config.bidirectional else d  # size of the question vector q
        self.op_index = {name: i for i, name in enumerate(config.ops)}
        # the question RNN as explicit steps: the same function as nn.RNN's fused kernel, which torch.func.vmap
        # cannot batch (engine/np2016/multi_train.py trains many models at once with it on)
        self.unroll_rnn = False
        self.embed = nn.Embedding(config.vocab_size, d, padding_idx=0)  # V: words and column names
        self.question_rnn = nn.RNN(d, d, bias=False, batch_first=True, bidirectional=config.bidirectional)
        self.op_embed = nn.Parameter(torch.empty(O, d))  # U: one embedding per operation
        select_in = qd + d + (qd if config.question_attention else 0)  # [q ; h_t ; a_t]
        self.op_select = nn.Linear(select_in, d, bias=False)  # W^op
        self.col_select = nn.Linear(select_in, d, bias=False)  # W^col
        self.history_rnn = nn.Linear(3 * d, d, bias=False)  # W^history over [α^op U ; α^col P ; h_{t-1}]
        if config.question_attention:
            self.attn_query = nn.Linear(qd + d, qd, bias=False)
        if config.step_embedding:
            self.step_embed = nn.Parameter(torch.empty(config.T, d))
        if config.name_match:
            # weights of the (step-dependent, any-step) column-name match features
            self.match_weight = nn.Parameter(torch.zeros(2))
        self.reset_parameters()

    def reset_parameters(self):
        """init_scale > 0: the paper's U[-s, s] everywhere. init_scale = 0: variance-preserving init
        (unit word vectors, weights U[±1/sqrt(fan_in)]), so that q differs clearly between questions
        from the first step; with the paper's init at small d every question looks alike and the op
        softmax collapses onto one operation (docs/design.md)."""
        s, d = self.config.init_scale, self.config.d
        for name, p in self.named_parameters():
            if name == "match_weight":
                continue
            if s > 0:
                nn.init.uniform_(p, -s, s)
            elif name == "embed.weight":
                nn.init.normal_(p, 0.0, 1.0)
            elif name in ("op_embed", "step_embed"):
                nn.init.normal_(p, 0.0, d ** -0.5 if name == "op_embed" else 0.5)
            else:  # (out, in) weight matrices
                bound = p.shape[-1] ** -0.5
                nn.init.uniform_(p, -bound, bound)
        with torch.no_grad():
            self.embed.weight[0].zero_()
            if self.config.name_match:
                self.match_weight.copy_(torch.tensor([5.0, 0.0]))  # start by trusting a name match

    # ---- encoders -------------------------------------------------------------------------------

    def encode_question(self, batch: Batch):
        """q (B, qd), per-word states (B, Q, qd), forward states (B, Q, d) and the word mask (B, Q)."""
        d = self.config.d
        B, Q = batch.question_ids.shape
        words = self.embed(batch.question_ids)  # (B, Q, d)
        states = self.unrolled_rnn(words) if self.unroll_rnn else self.question_rnn(words)[0]  # (B, Q, qd)
        forward = states[..., :d]
        last = (batch.question_len - 1).clamp(min=0)
        q = forward[torch.arange(B, device=last.device), last]  # (B, d) state after the last word
        if self.config.bidirectional:
            # right padding has zero embeddings and there is no bias, so the backward RNN's state stays 0
            # over the padding and its output at position 0 has read exactly the real words
            q = torch.cat([q, states[:, 0, d:]], -1)  # (B, 2d)
        mask = torch.arange(Q, device=batch.question_len.device)[None, :] < batch.question_len[:, None]
        return q, states, forward, mask

    def unrolled_rnn(self, words):
        """nn.RNN(tanh, no bias, batch_first) written out over the Q positions. words (B, Q, d) -> (B, Q, qd)"""
        rnn = self.question_rnn

        def run(inputs, w_hh):  # inputs (B, Q, d) already multiplied by W_ih
            h, out = inputs.new_zeros(inputs.shape[0], inputs.shape[2]), []
            for x in inputs.unbind(1):
                h = torch.tanh(x + h @ w_hh.T)
                out.append(h)
            return torch.stack(out, 1)

        forward = run(words @ rnn.weight_ih_l0.T, rnn.weight_hh_l0)
        if not self.config.bidirectional:
            return forward
        backward = run((words @ rnn.weight_ih_l0_reverse.T).flip(1), rnn.weight_hh_l0_reverse).flip(1)
        return torch.cat([forward, backward], -1)

    def column_vectors(self, batch: Batch):
        """P: column-name vectors, the mean embedding of each name's words. (B, C, d)"""
        ids = batch.name_ids  # (B, C, L)
        words = (ids > 0).to(self.embed.weight.dtype)
        emb = self.embed(ids)  # (B, C, L, d)
        return (emb * words[..., None]).sum(2) / words.sum(2, keepdim=True).clamp(min=1.0)

    def pivot_attention(self, forward, batch: Batch, op: str):
        """β_op = softmax(Z · U(op)) over the question's numbers (spec §2.5). logits (B, N)"""
        B = forward.shape[0]
        Z = forward[torch.arange(B, device=forward.device)[:, None], batch.number_left]  # (B, N, d) left of each number
        logits = Z @ self.op_embed[self.op_index[op]]
        return logits.masked_fill(batch.number_mask == 0, NEG)

    def learned_text_match(self, batch: Batch, q, Z, qmask, P):
        """The paper's two-stage text_match (spec §2.9), once per question. (B, M, C) in [0, 1].

        With A[m][k] the embedding of text cell (m, k): B = σ(A·q) picks the cells the question is about;
        D[k] = (1/M) Σ_m B[m][k] A[m][k]; E[k] = D[k] + P[k]; G[k] = Σ_l softmax_l(E[k]·z_l) z_l;
        text_match[m][k] = σ(A[m][k]·G[k]). q and z_l are the forward question RNN's (d wide).
        A is never built as a (B, M, C, d) tensor: the cells hold few distinct words, so every product
        with A is a product with those words' embeddings (U of them), gathered back per cell.
        q: (B, d); Z: (B, Q, d) question states; qmask: (B, Q); P: (B, C, d)."""
        B, M, C = batch.cell_ids.shape
        cells = ((batch.cell_ids > 0) & (batch.text_col[:, None, :] > 0)
                 & (batch.row_mask[:, :, None] > 0)).to(q.dtype)  # (B, M, C) real text cells
        words, where = torch.unique(batch.cell_ids, return_inverse=True)  # (U,), (B, M, C) index into words
        W = self.embed(words)  # (U, d)
        by_cell = where.transpose(1, 2).reshape(B, C * M)  # (B, C*M) column-major, for per-column sums
        coarse = torch.sigmoid((q @ W.T).gather(1, by_cell)).view(B, C, M) * cells.transpose(1, 2)  # B[m][k]
        weight = q.new_zeros(B, C, len(words)).scatter_add_(2, by_cell.view(B, C, M), coarse)  # (B, C, U)
        rows = batch.row_mask.sum(-1).clamp(min=1.0)[:, None, None]  # (B, 1, 1) M of each table
        E = (weight @ W) / rows + P  # (B, C, d)
        scores = torch.bmm(E, Z.transpose(1, 2)).masked_fill(~qmask[:, None, :], NEG)  # (B, C, Q)
        G = torch.bmm(F.softmax(scores, -1), Z)  # (B, C, d)
        fine = (G @ W.T).gather(2, by_cell.view(B, C, M))  # (B, C, M) A[m][k]·G[k]
        return torch.sigmoid(fine).transpose(1, 2) * cells  # (B, M, C)

    # ---- the T steps ----------------------------------------------------------------------------

    def forward(self, batch: Batch, hard: bool = False, record: bool = False, temperature: float = 1.0,
                logit_noise: dict | None = None) -> dict:
        """Run T steps. hard: argmax selections (test time), or a (B,) bool tensor choosing per example (a
        trace runs one question soft and hard as a batch of two). record: keep per-step lookups for traces.
        temperature: the soft selections' softmax temperature (training may start above 1 and anneal to 1, so
        that no step commits to one operation before the steps it reads have learned; TrainConfig.temperature).
        logit_noise: {"op": (B, T, O), "col": (B, T, C)} added to the selection logits of the soft distributions
        (training's Gumbel perturbation, TrainConfig.selection_noise); the returned logits stay unperturbed.
        """

        def sharpen(logits):  # (..., K) logits at the temperature
            return logits if temperature == 1.0 else logits / temperature

        def select(logits, soft=None):
            soft = F.softmax(sharpen(logits), -1) if soft is None else soft
            if isinstance(hard, torch.Tensor):  # per example: hard (B,) bool, moved to the logits' device
                return torch.where(hard.to(logits.device).view(-1, *[1] * (logits.dim() - 1)), hardmax(logits), soft)
            return hardmax(logits) if hard else soft

        cfg = self.config
        q, states, forward, qmask = self.encode_question(batch)
        P = self.column_vectors(batch)  # (B, C, d)
        U = self.op_embed  # (O, d)
        B = batch.values.shape[0]
        # execution dtype: exact (float64) for answers; float32 while training (hard=True is an answer)
        answering = not torch.is_grad_enabled() or (isinstance(hard, bool) and hard)
        exec_dtype = torch.float64 if answering else q.dtype
        values, row_mask = batch.values.to(exec_dtype), batch.row_mask.to(exec_dtype)  # (B, M, C), (B, M)

        pivot_logits, beta = {}, {}
        for op in ("greater", "lesser"):
            if op in self.op_index:
                pivot_logits[op] = self.pivot_attention(forward, batch, op)
                beta[op] = select(pivot_logits[op]).to(exec_dtype)
        # one pass for both comparisons; an op missing from the set has no pivot weight and selects nothing
        no_pivot = values.new_zeros(batch.numbers.shape)  # (B, N)
        greater, lesser = comparisons(values, batch.valid.to(exec_dtype), batch.numbers.to(exec_dtype),
                                      beta.get("greater", no_pivot), beta.get("lesser", no_pivot))
        if cfg.text_match == "learned" and "text_match" in self.op_index:
            text_match = self.learned_text_match(batch, q[:, :cfg.d], forward, qmask, P)  # (B, M, C)
            if answering:  # an answer selects whole rows: a cell matches when its probability passes 1/2
                text_match = (text_match > 0.5).to(text_match.dtype)
            text_match = text_match.to(exec_dtype)
        else:
            text_match = (batch.entry_match * batch.text_col[:, None, :]).to(exec_dtype)
        numeric = (1 - batch.text_col)[:, None, :].to(exec_dtype)
        greater, lesser = greater * numeric, lesser * numeric
        any_match = (batch.name_match.sum(-1) > 0).to(q.dtype)  # (B, C)

        h = q.new_zeros(B, cfg.d)  # h_1 = 0
        state = initial_state(row_mask)
        out = {k: [] for k in ("op_logits", "col_logits", "op_probs", "col_probs", "rows", "scalars",
                               "attention", "lookups")}
        for t in range(cfg.T):
            h_sel = h + self.step_embed[t] if cfg.step_embedding else h
            select_in = [q, h_sel]
            attention = None
            if cfg.question_attention:
                query = self.attn_query(torch.cat([q, h_sel], -1))  # (B, qd)
                # batched products as bmm: einsum's parsing and permutes cost more than these small products
                scores = torch.bmm(states, query[:, :, None])[..., 0].masked_fill(~qmask, NEG)
                attention = F.softmax(scores, -1)  # (B, Q)
                select_in.append(torch.bmm(attention[:, None], states)[:, 0])
            s = torch.cat(select_in, -1)
            op_logits = torch.tanh(self.op_select(s)) @ U.T  # (B, O)
            col_logits = torch.bmm(P, torch.tanh(self.col_select(s))[:, :, None])[..., 0]  # (B, C)
            if cfg.name_match:
                col_logits = col_logits + self.match_weight[1] * any_match
                if attention is not None:  # the column named by the words this step attends to
                    col_logits = col_logits + self.match_weight[0] * torch.bmm(
                        batch.name_match, attention[:, :, None])[..., 0]
            col_logits = col_logits.masked_fill(batch.col_mask == 0, NEG)
            op_in, col_in = op_logits, col_logits
            if logit_noise is not None:
                op_in, col_in = op_logits + logit_noise["op"][:, t], col_logits + logit_noise["col"][:, t]
            p_op_soft, p_col_soft = F.softmax(sharpen(op_in), -1), F.softmax(sharpen(col_in), -1)
            p_op, p_col = select(op_logits, p_op_soft), select(col_logits, p_col_soft)

            scalar, lookup, rows = execute_step(self.op_index, p_op.to(exec_dtype), p_col.to(exec_dtype), values,
                                                row_mask, greater, lesser, text_match, state, cfg.product_logic,
                                                want_lookup=record or t == cfg.T - 1)
            state = advance(state, scalar, rows)
            # the history RNN always reads the soft distributions (spec §3.5, A15)
            c_t = torch.cat([p_op_soft @ U, torch.bmm(p_col_soft[:, None], P)[:, 0], h], -1)
            h = torch.tanh(self.history_rnn(c_t))

            for key, val in (("op_logits", op_logits), ("col_logits", col_logits), ("op_probs", p_op_soft),
                             ("col_probs", p_col_soft), ("rows", rows), ("scalars", scalar)):
                out[key].append(val)
            if attention is not None:
                out["attention"].append(attention)
            if record:
                out["lookups"].append(lookup)

        result = {k: torch.stack(v, 1) for k, v in out.items() if v}  # (B, T, ...)
        result["scalar"], result["lookup"] = scalar, lookup  # step-T outputs (B,), (B, M, C)
        result["pivot_logits"] = pivot_logits  # (B, N) per comparison op
        result["cell_selections"] = {"greater": greater, "lesser": lesser, "text_match": text_match}  # (B, M, C)
        result["pivot_attention"] = {op: F.softmax(lg, -1) for op, lg in pivot_logits.items()}  # (B, N)
        return result
