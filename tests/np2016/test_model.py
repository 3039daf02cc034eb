"""The model (engine/np2016/model.py): shapes, variants, hard execution of known programs, padding invariance."""

import numpy as np
import pandas as pd
import pytest
import torch

from engine.np2016.batch import encode
from engine.np2016.data import tasks as data
from engine.np2016.evaluate import correct, final_kinds

SMALL = {"columns": ["A", "B"], "rows": [[1.5, -2.0], [30.25, 4.0], [-7.0, 12.5]],
         "question": "greater 2.00 A sum B"}
BIG = {"columns": ["A", "B", "C", "D"], "rows": [[float(i), float(-i), 2.0 * i, None] for i in range(9)],
       "question": "greater 1.00 A and lesser 5.00 B or greater 3 C print D count"}
TEXT = {"columns": ["A", "B", "C"], "rows": [["word:1", 5.0, 1.0], ["word:2", -1.0, 2.0]],
        "question": "word:1 A sum B"}

VARIANTS = [dict(bidirectional=b, question_attention=a, name_match=n)
            for b in (False, True) for a in (False, True) for n in (False, True)]


@pytest.mark.parametrize("variant", VARIANTS,
                         ids=lambda v: "-".join(k[:4] for k, x in v.items() if x) or "plain")
@pytest.mark.parametrize("text", [False, True])
def test_forward_shapes_and_hard_outputs(letters_vocab, model_factory, variant, text):
    model = model_factory(letters_vocab, text=text, T=3, **variant)
    examples = [SMALL, BIG, TEXT] if text else [SMALL, BIG]
    batch = encode(examples, letters_vocab)
    B, M, C = batch.values.shape
    Q, N = batch.question_ids.shape[1], batch.numbers.shape[1]
    T, O = 3, len(model.config.ops)
    for hard in (False, True):
        out = model(batch, hard=hard, record=True)
        shapes = {"op_logits": (B, T, O), "col_logits": (B, T, C), "op_probs": (B, T, O),
                  "col_probs": (B, T, C), "rows": (B, T, M), "scalars": (B, T), "lookups": (B, T, M, C),
                  "scalar": (B,), "lookup": (B, M, C)}
        if variant["question_attention"]:
            shapes["attention"] = (B, T, Q)
        else:
            assert "attention" not in out
        for key, shape in shapes.items():
            assert tuple(out[key].shape) == shape, key
            assert torch.isfinite(out[key]).all(), key
        assert set(out["pivot_attention"]) == {"greater", "lesser"}
        for att in out["pivot_attention"].values():
            assert att.shape == (B, N)
            torch.testing.assert_close(att.sum(-1), torch.ones(B))
            assert (att * (1 - batch.number_mask)).abs().max() < 1e-6
        torch.testing.assert_close(out["op_probs"].sum(-1), torch.ones(B, T))
        torch.testing.assert_close(out["col_probs"].sum(-1), torch.ones(B, T))
        assert (out["col_probs"] * (1 - batch.col_mask[:, None, :])).max() < 1e-6  # padded columns
        if variant["question_attention"]:
            pads = ~(torch.arange(Q) < batch.question_len[:, None])
            assert (out["attention"] * pads[:, None, :]).max() < 1e-6
        padded_rows = (1 - batch.row_mask)[:, None, :]
        assert (out["rows"] * padded_rows).abs().max() == 0
        assert (out["lookups"] * padded_rows[..., None]).abs().max() == 0
        if hard:  # one-hot-consistent: binary selections, and the scalar is what the chosen op computes
            assert set(out["rows"].unique().tolist()) <= {0.0, 1.0}
            assert set(out["lookups"].unique().tolist()) <= {0.0, 1.0}
            assert (out["col_logits"].argmax(-1) < batch.col_mask.sum(-1)[:, None]).all()
            kinds = final_kinds(model, out)
            for b, kind in enumerate(kinds):
                if kind != "scalar":
                    assert out["scalar"][b] == 0
                if kind != "lookup":
                    assert out["lookup"][b].abs().max() == 0
        else:
            assert ((out["rows"] >= 0) & (out["rows"] <= 1 + 1e-5)).all()


def test_backward_reaches_every_parameter(letters_vocab, model_factory):
    model = model_factory(letters_vocab, text=True).train()
    batch = encode([SMALL, BIG, TEXT], letters_vocab)
    out = model(batch)
    (out["scalar"].sum() + out["lookup"].sum() + out["rows"].sum()).backward()
    for name, p in model.named_parameters():
        assert p.grad is not None and torch.isfinite(p.grad).all(), name
        assert p.grad.abs().sum() > 0, name


def pandas_answer(df: pd.DataFrame, program: str, numbers):
    """The answer of a few fixed programs on a DataFrame (independent of engine.np2016.data.tasks)."""
    if program == "greater A and lesser B sum C":
        return df.loc[(df["A"] > numbers[0]) & (df["B"] < numbers[1]), "C"].sum()
    if program == "lesser B or greater A count":
        return float(((df["B"] < numbers[1]) | (df["A"] > numbers[0])).sum())
    if program == "sum B diff count":
        return df["B"].sum() - len(df)
    if program == "greater C print B":
        return sorted([int(i), 1] for i in df.index[df["C"] > numbers[0]])
    raise KeyError(program)


# (name, steps as (op, column index), pivot index per comparison op)
PROGRAMS = [
    ("greater A and lesser B sum C", [("greater", 0), ("lesser", 1), ("and", None), ("sum", 2)],
     {"greater": 0, "lesser": 1}),
    ("lesser B or greater A count", [("lesser", 1), ("greater", 0), ("or", None), ("count", None)],
     {"greater": 0, "lesser": 1}),
    ("sum B diff count", [("sum", 1), ("reset", None), ("count", None), ("difference", None)], {}),
    ("greater C print B", [("reset", None), ("reset", None), ("greater", 2), ("assign", 1)], {"greater": 0}),
]


@pytest.mark.parametrize("name,program,pivots", PROGRAMS, ids=[p[0] for p in PROGRAMS])
def test_known_program_gives_pandas_answer(letters_vocab, model_factory, forcer, name, program, pivots):
    rng = np.random.default_rng(5)
    examples, frames = [], []
    for m, c in ((7, 3), (12, 5), (30, 4)):  # different shapes: padding in the batch
        names = data.LETTERS[:c]
        rows = np.round(rng.uniform(-100, 100, (m, c)), 2).tolist()
        n1, n2 = (round(float(x), 2) for x in rng.uniform(-50, 50, 2))
        question = f"greater {n1:.2f} A and lesser {n2:.2f} B"
        examples.append({"columns": names, "rows": rows, "question": question})
        frames.append((pd.DataFrame(rows, columns=names), (n1, n2)))
    model = forcer(model_factory(letters_vocab, d=16), letters_vocab, program, data.LETTERS[:5], pivots)
    batch = encode(examples, letters_vocab)
    out = model(batch, hard=True)
    assert [[model.config.ops[i] for i in row] for row in out["op_logits"].argmax(-1).tolist()] == \
        [[op for op, _ in program]] * len(examples)
    for b, (df, numbers) in enumerate(frames):
        want = pandas_answer(df, name, numbers)
        if isinstance(want, list):
            m, c = df.shape
            assert final_kinds(model, out)[b] == "lookup"
            assert (out["lookup"][b, :m, :c] > 0.5).nonzero().tolist() == want
        else:
            assert final_kinds(model, out)[b] == "scalar"
            assert float(out["scalar"][b]) == pytest.approx(want, abs=1e-2)
            batch.target_scalar[b], batch.is_scalar[b] = float(want), 1.0
    if not isinstance(want, list):
        assert correct(model, out, batch).all()


@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("text", [False, True])
def test_padding_invariance(letters_vocab, model_factory, bidirectional, text):
    """An example alone and inside a batch padded by bigger tables and longer questions: same logits and
    the same hard answer."""
    torch.manual_seed(0)
    big = [BIG, TEXT] if text else [BIG]
    for seed in range(4):
        model = model_factory(letters_vocab, text=text, bidirectional=bidirectional, seed=seed)
        for ex in (SMALL, TEXT) if text else (SMALL,):
            alone = model(encode([ex], letters_vocab), hard=True, record=True)
            batch = encode(big + [ex], letters_vocab)
            padded = model(batch, hard=True, record=True)
            b, m, c = len(big), len(ex["rows"]), len(ex["columns"])
            torch.testing.assert_close(padded["op_logits"][b], alone["op_logits"][0], atol=1e-5, rtol=1e-5)
            torch.testing.assert_close(padded["col_logits"][b, :, :c], alone["col_logits"][0], atol=1e-5,
                                       rtol=1e-5)
            assert (padded["op_logits"][b].argmax(-1) == alone["op_logits"][0].argmax(-1)).all()
            torch.testing.assert_close(padded["scalars"][b], alone["scalars"][0])
            torch.testing.assert_close(padded["rows"][b, :, :m], alone["rows"][0])
            torch.testing.assert_close(padded["lookups"][b, :, :m, :c], alone["lookups"][0])
            assert padded["lookups"][b, :, m:].abs().max() == 0
            assert padded["lookups"][b, :, :, c:].abs().max() == 0
            for op, att in alone["pivot_attention"].items():
                n = att.shape[1]
                torch.testing.assert_close(padded["pivot_attention"][op][b, :n], att[0], atol=1e-5, rtol=1e-5)


def test_state_is_recomputed_not_accumulated(letters_vocab, model_factory, forcer):
    """Spec §2.8: each step recomputes the row selection; a reset after a filter selects every row again."""
    program = [("reset", None), ("greater", 0), ("reset", None), ("count", None)]
    model = forcer(model_factory(letters_vocab), letters_vocab, program, ["A"], {"greater": 0})
    rows = [[float(x)] for x in range(100)]
    out = model(encode([{"columns": ["A"], "rows": rows, "question": "greater 49.5 A count"}], letters_vocab),
                hard=True)
    assert float(out["scalar"][0]) == 100.0  # step 4 counts the rows reset at step 3
    program = [("reset", None), ("reset", None), ("greater", 0), ("count", None)]
    model = forcer(model_factory(letters_vocab), letters_vocab, program, ["A"], {"greater": 0})
    out = model(encode([{"columns": ["A"], "rows": rows, "question": "greater 49.5 A count"}], letters_vocab),
                hard=True)
    assert float(out["scalar"][0]) == 50.0


def test_pivot_attention_reads_the_word_left_of_each_number(letters_vocab, model_factory):
    """Spec §2.5: β_op = softmax(Z · U(op)), Z = question-RNN state at the word left of each number."""
    model = model_factory(letters_vocab, bidirectional=True)
    ex = {"columns": ["A", "B"], "rows": [[1.0, 2.0]], "question": "greater 50 A and lesser 20.5 A sum A"}
    batch = encode([ex, SMALL], letters_vocab)
    assert batch.numbers[0].tolist() == [50.0, 20.5] and batch.number_left[0].tolist() == [0, 3]
    _, _, forward, _ = model.encode_question(batch)
    out = model(batch)
    for op in ("greater", "lesser"):
        U = model.op_embed[model.op_index[op]]
        want = torch.softmax(torch.stack([forward[0, 0] @ U, forward[0, 3] @ U]), -1)
        torch.testing.assert_close(out["pivot_attention"][op][0], want)
        torch.testing.assert_close(out["pivot_attention"][op][1], torch.tensor([1.0, 0.0]))  # one number
