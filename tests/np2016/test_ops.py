"""The 2016 operations (engine/np2016/ops.py), soft and hard, against a pandas reference on random padded tables."""

import numpy as np
import pandas as pd
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.core.vocab import Vocab
from engine.np2016.batch import encode
from engine.np2016.config import TEXT_OPS
from engine.np2016.ops import StepState, comparisons, execute_step, initial_state

OPS = list(TEXT_OPS)
OP_INDEX = {name: i for i, name in enumerate(OPS)}
WORDS = ["word:1", "word:2", "word:3"]


def random_examples(rng, n=3):
    """Tables of different shapes (so the batch pads rows and columns), with empty cells, one text
    column each, and questions with 1..3 numbers, one of which equals a table cell."""
    examples = []
    for b in range(n):
        m, c = int(rng.integers(4, 12)), int(rng.integers(2, 5))
        rows = []
        for _ in range(m):
            numbers = [round(float(v), 2) for v in rng.uniform(-50, 50, c - 1)]
            row = [WORDS[rng.integers(len(WORDS))]] + numbers
            if rng.random() < 0.3:
                row[1 + int(rng.integers(c - 1))] = None  # an empty cell
            rows.append(row)
        numbers = [round(float(v), 2) for v in rng.uniform(-50, 50, 1 + b % 3)]
        cell = next(v for r in rows for v in r[1:] if v is not None)
        numbers[0] = cell  # a pivot equal to a cell: the comparisons are strict
        word = WORDS[b % len(WORDS)]
        question = "greater " + " lesser ".join(f"{x:.2f}" for x in numbers) + f" {word} sum"
        examples.append({"columns": [f"c{j}" for j in range(c)], "rows": rows, "question": question,
                         "numbers": numbers, "word": word})
    return examples


@pytest.fixture(scope="module", params=[False, True], ids=["float32", "float64"])
def setup(request):
    """The ops in training's dtype (float32) and in the answers' (float64, exact=True)."""
    rng = np.random.default_rng(1234)
    examples = random_examples(rng)
    batch = encode(examples, Vocab(["greater", "lesser", "sum"]), exact=request.param)
    B, M, C = batch.values.shape
    dtype = batch.values.dtype
    frames = [pd.DataFrame(ex["rows"], columns=ex["columns"]) for ex in examples]
    # previous row selections (real rows only) and previous scalars
    rs1 = torch.tensor(rng.random((B, M)) < 0.4, dtype=dtype) * batch.row_mask
    rs2 = torch.tensor(rng.random((B, M)) < 0.7, dtype=dtype) * batch.row_mask
    assert (rs1.sum(-1) != rs2.sum(-1)).all() and ((rs1 * rs2).sum(-1) > 0).all()  # tell them apart
    scalars = [torch.tensor(rng.uniform(-10, 10, B), dtype=dtype) for _ in range(3)]
    state = StepState(scalar=scalars, rows=[rs1, rs2])
    text_match = batch.entry_match * batch.text_col[:, None, :]
    return examples, batch, frames, state, text_match


def one_hot(i, n, B):
    return torch.nn.functional.one_hot(torch.full((B,), i), n).float()


def run(batch, state, p_op, p_col, greater, lesser, text_match):
    """One step in the batch's dtype (the model casts its float32 selections so for exact answers)."""
    dt = batch.values.dtype
    p_op, p_col, greater, lesser, text_match = (x.to(dt) for x in (p_op, p_col, greater, lesser, text_match))
    state = StepState(scalar=[s.to(dt) for s in state.scalar], rows=[r.to(dt) for r in state.rows])
    return execute_step(OP_INDEX, p_op, p_col, batch.values, batch.row_mask.to(dt), greater, lesser, text_match,
                        state)


def reference(op, j, k, ex, df, rs1, rs2, s1, s3):
    """pandas answer of op on column j (pivot = question number k): (scalar, lookup (m, c), rows (m,))."""
    m, c = df.shape
    scalar, lookup, rows = 0.0, np.zeros((m, c)), np.zeros(m)
    col = df.columns[j]
    numeric = pd.to_numeric(df[col], errors="coerce") if j > 0 else None
    if op == "sum":
        scalar = numeric[rs1].sum() if j > 0 else 0.0  # a text column sums to 0
    elif op == "count":
        scalar = rs1.sum()
    elif op == "difference":
        scalar = s3 - s1
    elif op == "greater":
        rows = (numeric > ex["numbers"][k]).to_numpy(float) if j > 0 else rows  # NaN > x is False
    elif op == "lesser":
        rows = (numeric < ex["numbers"][k]).to_numpy(float) if j > 0 else rows
    elif op == "and":
        rows = (rs1 & rs2).astype(float)
    elif op == "or":
        rows = (rs1 | rs2).astype(float)
    elif op == "assign":
        lookup[rs1, j] = 1.0
    elif op == "reset":
        rows = np.ones(m)
    elif op == "text_match":
        rows = (df[col] == ex["word"]).to_numpy(float) if j == 0 else rows
    return scalar, lookup, rows


@pytest.mark.parametrize("op", OPS)
def test_each_op_hard_matches_pandas(setup, op):
    examples, batch, frames, state, text_match = setup
    B, M, C = batch.values.shape
    N = batch.numbers.shape[1]
    for k in range(N):
        beta = one_hot(k, N, B) * batch.number_mask  # examples without a k-th number select nothing
        greater, lesser = comparisons(batch.values, batch.valid, batch.numbers, beta)
        for j in range(C):
            scalar, lookup, rows = run(batch, state, one_hot(OP_INDEX[op], len(OPS), B), one_hot(j, C, B),
                                       greater, lesser, text_match)
            for b, (ex, df) in enumerate(zip(examples, frames, strict=True)):
                m, c = df.shape
                rs1 = state.rows[0][b, :m].numpy() > 0.5
                rs2 = state.rows[1][b, :m].numpy() > 0.5
                if j >= c or (k >= len(ex["numbers"]) and op in ("greater", "lesser")):
                    # a padded column or number slot selects no row and sums to 0 (the model's column
                    # softmax never puts mass on a padded column, so assign there is not a concern)
                    if op in ("greater", "lesser", "sum"):
                        assert rows[b].abs().sum() == 0 and scalar[b] == 0, (op, b, j)
                    continue
                ref_s, ref_l, ref_r = reference(op, j, k, ex, df, rs1, rs2, float(state.scalar[0][b]),
                                                float(state.scalar[2][b]))
                assert float(scalar[b]) == pytest.approx(ref_s, abs=1e-3), (op, b, j)
                np.testing.assert_allclose(lookup[b, :m, :c].numpy(), ref_l, atol=1e-6, err_msg=op)
                np.testing.assert_allclose(rows[b, :m].numpy(), ref_r, atol=1e-6, err_msg=op)
                # padded rows and columns stay empty
                assert rows[b, m:].abs().sum() == 0 and lookup[b, m:].abs().sum() == 0
                assert lookup[b, :, c:].abs().sum() == 0


def test_ops_write_only_their_own_kind(setup):
    """A row op writes no scalar or lookup; a scalar op selects no rows (the state does not accumulate)."""
    examples, batch, frames, state, text_match = setup
    B, M, C = batch.values.shape
    beta = one_hot(0, batch.numbers.shape[1], B)
    greater, lesser = comparisons(batch.values, batch.valid, batch.numbers, beta)
    for op in OPS:
        scalar, lookup, rows = run(batch, state, one_hot(OP_INDEX[op], len(OPS), B), one_hot(1, C, B),
                                   greater, lesser, text_match)
        if op not in ("sum", "count", "difference"):
            assert scalar.abs().max() == 0, op
        if op != "assign":
            assert lookup.abs().max() == 0, op
        if op in ("sum", "count", "difference", "assign"):
            assert rows.abs().max() == 0, op


def test_logic_on_soft_rows_is_min_and_max(setup):
    """Spec §2.7: and = min(rs_{t-1}, rs_{t-2}), or = max(...), also for soft (fractional) selections."""
    examples, batch, frames, _, text_match = setup
    B, M, C = batch.values.shape
    g = torch.Generator().manual_seed(3)
    rs1, rs2 = (torch.rand(B, M, generator=g) * batch.row_mask for _ in range(2))
    state = StepState(scalar=[torch.zeros(B)] * 3, rows=[rs1, rs2])
    zeros = torch.zeros_like(batch.values)
    a, b = rs1.numpy(), rs2.numpy()
    for op, want in (("and", np.minimum(a, b)), ("or", np.maximum(a, b))):
        _, _, rows = run(batch, state, one_hot(OP_INDEX[op], len(OPS), B), one_hot(0, C, B), zeros, zeros,
                         text_match)
        np.testing.assert_allclose(rows.numpy(), want, atol=1e-6, err_msg=op)


def test_initial_state_count_is_number_of_real_rows(setup):
    """Spec A2/A16: the first step reads all (real) rows, so count = M of each table, not the padded M."""
    examples, batch, frames, _, text_match = setup
    B, M, C = batch.values.shape
    state = initial_state(batch.row_mask)
    zeros = torch.zeros_like(batch.values)
    scalar, _, rows = run(batch, state, one_hot(OP_INDEX["count"], len(OPS), B), one_hot(0, C, B),
                          zeros, zeros, text_match)
    assert scalar.tolist() == [len(df) for df in frames]
    scalar, _, _ = run(batch, state, one_hot(OP_INDEX["difference"], len(OPS), B), one_hot(0, C, B),
                       zeros, zeros, text_match)
    assert scalar.abs().max() == 0


def test_soft_mixture_is_probability_weighted_sum(setup):
    """Linearity: the soft step equals Σ_op Σ_col p_op p_col (one-hot result), and the soft comparison
    equals Σ_k β_k (one-hot-pivot comparison)."""
    examples, batch, frames, state, text_match = setup
    B, M, C = batch.values.shape
    N, O = batch.numbers.shape[1], len(OPS)
    g = torch.Generator().manual_seed(0)
    beta = torch.softmax(torch.randn(B, N, generator=g).masked_fill(batch.number_mask == 0, -1e9), -1)
    greater, lesser = comparisons(batch.values, batch.valid, batch.numbers, beta)
    mix_g, mix_l = torch.zeros_like(greater), torch.zeros_like(lesser)
    for k in range(N):
        gk, lk = comparisons(batch.values, batch.valid, batch.numbers, one_hot(k, N, B))
        mix_g += beta[:, k, None, None] * gk
        mix_l += beta[:, k, None, None] * lk
    torch.testing.assert_close(greater, mix_g)
    torch.testing.assert_close(lesser, mix_l)
    assert 0 < greater.max() <= 1 and greater.min() >= 0

    p_op = torch.softmax(torch.randn(B, O, generator=g), -1)
    p_col = torch.softmax(torch.randn(B, C, generator=g).masked_fill(batch.col_mask == 0, -1e9), -1)
    soft = run(batch, state, p_op, p_col, greater, lesser, text_match)
    mixed = [0.0, 0.0, 0.0]
    for i in range(O):
        for j in range(C):
            hard = run(batch, state, one_hot(i, O, B), one_hot(j, C, B), greater, lesser, text_match)
            w = p_op[:, i] * p_col[:, j]
            mixed = [acc + w.view(-1, *[1] * (h.dim() - 1)) * h for acc, h in zip(mixed, hard, strict=True)]
    for got, want in zip(soft, mixed, strict=True):
        torch.testing.assert_close(got, want, rtol=1e-4, atol=1e-4)


def _double_setup(setup):
    examples, batch, frames, state, text_match = setup
    to64 = {k: getattr(batch, k).double() for k in ("values", "valid", "row_mask", "numbers", "number_mask")}
    g = torch.Generator().manual_seed(1)
    B, M = batch.row_mask.shape
    # continuous previous row selections (no ties in min/max), so every op is smooth at the test point
    rs = [torch.rand(B, M, generator=g, dtype=torch.float64) * to64["row_mask"] for _ in range(2)]
    st = StepState(scalar=[s.double() for s in state.scalar], rows=rs)
    return to64, st, text_match.double(), g


def test_gradcheck_execute_step(setup):
    to64, st, text_match, g = _double_setup(setup)
    B, M, C = to64["values"].shape
    beta = torch.softmax(torch.randn(B, to64["numbers"].shape[1], generator=g, dtype=torch.float64), -1)
    greater, lesser = comparisons(to64["values"], to64["valid"], to64["numbers"], beta)
    p_op = torch.softmax(torch.randn(B, len(OPS), generator=g, dtype=torch.float64), -1).requires_grad_()
    p_col = torch.softmax(torch.randn(B, C, generator=g, dtype=torch.float64), -1).requires_grad_()
    values = to64["values"] / 50  # keep the column sums O(1) for the finite differences

    def f(p_op, p_col):
        return execute_step(OP_INDEX, p_op, p_col, values, to64["row_mask"], greater, lesser, text_match, st)

    assert torch.autograd.gradcheck(f, (p_op, p_col), eps=1e-6, atol=1e-5)
    scalar, lookup, rows = f(p_op, p_col)
    (scalar.sum() + lookup.sum() + rows.sum()).backward()
    assert (p_op.grad.abs().sum(0) > 0).all()  # every op reaches the output (in some example)
    assert p_col.grad.abs().sum() > 0


def test_gradcheck_comparisons_wrt_pivot_attention(setup):
    """Spec A1: the pivot attention β gets a (non-zero) gradient through the comparisons."""
    to64, st, text_match, g = _double_setup(setup)
    B, N = to64["numbers"].shape
    beta = torch.softmax(torch.randn(B, N, generator=g, dtype=torch.float64), -1).requires_grad_()

    def f(beta):
        return comparisons(to64["values"], to64["valid"], to64["numbers"], beta)

    assert torch.autograd.gradcheck(f, (beta,), eps=1e-6, atol=1e-5)
    # through a whole step: the count after "greater" depends on which number is the pivot
    logits = torch.zeros(B, N, dtype=torch.float64, requires_grad=True)
    beta = torch.softmax(logits.masked_fill(to64["number_mask"] == 0, -1e9), -1)
    greater, lesser = f(beta)
    C = to64["values"].shape[2]
    p_op = torch.zeros(B, len(OPS), dtype=torch.float64)
    p_op[:, OP_INDEX["greater"]] = 1.0
    p_col = torch.full((B, C), 1.0 / C, dtype=torch.float64)
    _, _, rows = execute_step(OP_INDEX, p_op, p_col, to64["values"], to64["row_mask"], greater, lesser,
                              text_match, st)
    rows.sum().backward()
    multi = to64["number_mask"].sum(-1) > 1  # examples with a choice of pivot
    assert multi.any() and (logits.grad[multi].abs().sum(-1) > 0).all()


@settings(max_examples=80, deadline=None)
@given(st.integers(1, 3), st.integers(1, 6), st.integers(1, 3), st.integers(1, 5), st.integers(0, 2**31 - 1))
def test_comparisons_equal_the_broadcast_definition(B, M, C, N, seed):
    """comparisons (sorted numbers and prefix sums) = Σ_k β_k 1[x > n_k] and Σ_k β_k 1[x < n_k] written
    out over every cell and number, with ties between cells and numbers and repeated numbers."""
    g = torch.Generator().manual_seed(seed)
    values = torch.randint(-3, 4, (B, M, C), generator=g).double()  # few distinct values: many ties
    numbers = torch.randint(-3, 4, (B, N), generator=g).double()
    valid = (torch.rand(B, M, C, generator=g) < 0.8).double()
    beta, beta_lesser = (torch.softmax(torch.randn(B, N, generator=g, dtype=torch.float64), -1) for _ in range(2))
    greater, lesser = comparisons(values, valid, numbers, beta, beta_lesser)
    x, n = values[..., None], numbers[:, None, None, :]
    torch.testing.assert_close(greater, ((x > n) * beta[:, None, None, :]).sum(-1) * valid)
    torch.testing.assert_close(lesser, ((x < n) * beta_lesser[:, None, None, :]).sum(-1) * valid)
