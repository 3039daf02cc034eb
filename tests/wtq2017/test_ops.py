"""The 15 operations of the 2017 model (engine/wtq2017/ops.py) on a small hand-made table.

Every program runs twice: softly with one-hot operation, column and pivot choices, and as the discrete
program; both must give the hand-computed rows, count or printed cells. Soft first/argmax with fractional
selections are checked against TF's scan written out as a loop (spec §4.3).

The table (5 rows; slots: 0 score, 1 year = number columns; 2 name, 3 team = word columns):

    row  score  year  name  team
    0    10     2001  Ann   red
    1    30     2003  Bob   blue
    2    30     2002  Cy    red
    3    -      2005  Di    blue      (score missing: a "bad number")
    4    20     2004  Ed    red
"""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from engine.wtq2017.batch import build_vocab, encode_batch
from engine.wtq2017.config import OPS, ModelConfig
from engine.wtq2017.ops import COMPARISONS, OP, run_hard, run_soft, soft_first, soft_superlative, table_of

CONFIG = ModelConfig(vocab_size=10, number_columns=2, word_columns=2)
SCORE, YEAR, NAME, TEAM = 0, 1, 2, 3  # slots
ROWS = [["Ann", "10", "2001", "red"], ["Bob", "30", "2003", "blue"], ["Cy", "30", "2002", "red"],
        ["Di", None, "2005", "blue"], ["Ed", "20", "2004", "red"]]


def example(numbers=(15.0, 30.0), entry_match=((1, 0),), rows=ROWS) -> dict:
    """A converted example (docs/wtq.md) of the table above; table columns name, score, year, team."""
    values = [[None, None if r[1] is None else float(r[1]), float(r[2]), None] for r in rows]
    most_frequent = [[i, 1] for i, r in enumerate(rows) if r[1] == "30"]
    most_frequent += [[i, 3] for i, r in enumerate(rows) if r[3] == "red"]
    words = ["how", "many", "above", "and", "or", "below", "?"]
    return {"id": "t", "question": "q", "columns": ["name", "score", "year", "team"], "rows": rows, "wtq": {
        "version": 1, "column_kinds": ["word", "number", "number", "word"], "model_columns": [0, 1, 2, 3],
        "column_tokens": [["name"], ["score"], ["year"], ["team"]], "cell_values": values,
        "most_frequent": most_frequent, "words": words, "numbers": list(numbers),
        "number_positions": [2, 5][:len(numbers)], "entry_match": [list(c) for c in entry_match],
        "entry_match_count": [len(entry_match), 0, 0, 0], "column_match": [0, 0, 0, 0]}}


def run(program, examples=None, pivots=(0, 0, 0, 0), mode="expected_comparison"):
    """Run `program` [(op, slot)] softly (one-hot) and hard on `examples`; assert they agree; return hard's
    scalar (B,), lookup (B, R, C) and rows after each step (B, T, R)."""
    examples = examples or [example()]
    batch = encode_batch(examples, build_vocab(examples, 1), CONFIG)
    table, B = table_of(batch), len(examples)
    ops = torch.tensor([[OP[op] for op, _ in program]] * B)
    cols = torch.tensor([[slot for _, slot in program]] * B)
    piv = torch.tensor([list(pivots)] * B)
    scalar, lookup, rows = run_hard(ops, cols, piv, table)
    p_ops = F.one_hot(ops, len(OPS)).double()
    p_cols = F.one_hot(cols, CONFIG.columns).double()
    betas = {op: F.one_hot(piv[:, k], 2).double() for k, op in enumerate(COMPARISONS)}
    s_scalar, s_lookup, s_rows = run_soft(p_ops, p_cols, betas, table, mode)
    assert torch.equal(s_rows, rows.double()), "soft rows differ from hard rows"
    assert torch.equal(s_scalar, scalar) and torch.equal(s_lookup, lookup.double())
    return scalar, lookup, rows


def selected(rows) -> list[int]:
    return rows.nonzero().flatten().tolist()


# ---- scalar and lookup -------------------------------------------------------------------------------

def test_count_of_every_row_and_count_after_count():
    scalar, _, rows = run([("reset", 0), ("reset", 0), ("reset", 0), ("count", 0)])
    assert scalar.tolist() == [5.0]
    # count writes no rows (spec §4.3): a count right after a count counts nothing
    scalar, _, rows = run([("reset", 0), ("reset", 0), ("count", 0), ("count", 0)])
    assert scalar.tolist() == [0.0] and selected(rows[0, 2]) == []


def test_print_prints_the_selected_rows_of_the_chosen_column():
    _, lookup, _ = run([("reset", 0), ("reset", 0), ("greater", SCORE), ("print", NAME)])
    assert lookup[0].nonzero().tolist() == [[1, NAME], [2, NAME], [4, NAME]]  # Bob, Cy, Ed: score > 15


# ---- comparisons ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("op, pivot, expected", [
    ("greater", 0, [1, 2, 4]),  # score > 15; Di's missing score never compares
    ("greater", 1, []),  # score > 30
    ("lesser", 1, [0, 4]),  # score < 30
    ("geq", 1, [1, 2]),  # score >= 30
    ("leq", 0, [0]),  # score <= 15
    ("leq", 1, [0, 1, 2, 4]),  # score <= 30
])
@pytest.mark.parametrize("mode", ["expected_comparison", "expected_pivot"])
def test_comparisons_with_either_pivot(op, pivot, expected, mode):
    pivots = [pivot if name == op else 0 for name in COMPARISONS]
    _, _, rows = run([("reset", 0), ("reset", 0), ("reset", 0), (op, SCORE)], pivots=pivots, mode=mode)
    assert selected(rows[0, 3]) == expected


def test_comparisons_ignore_the_previous_selection_and_need_a_number():
    _, _, rows = run([("select", NAME), ("greater", SCORE), ("reset", 0), ("reset", 0)])
    assert selected(rows[0, 0]) == [1] and selected(rows[0, 1]) == [1, 2, 4]  # static (spec A10)
    _, _, rows = run([("reset", 0), ("greater", YEAR), ("lesser", YEAR), ("reset", 0)], [example(numbers=())])
    assert selected(rows[0, 1]) == [] and selected(rows[0, 2]) == []  # no question number: nothing


# ---- argmax / argmin -----------------------------------------------------------------------------------

def test_argmax_ties_go_to_the_first_row_and_missing_numbers_never_win():
    _, lookup, rows = run([("reset", 0), ("reset", 0), ("argmax", SCORE), ("print", NAME)])
    assert selected(rows[0, 2]) == [1]  # Bob and Cy both 30: Bob comes first
    assert lookup[0].nonzero().tolist() == [[1, NAME]]
    _, _, rows = run([("reset", 0), ("reset", 0), ("argmin", SCORE), ("argmax", YEAR)])
    assert selected(rows[0, 2]) == [0]  # Ann 10 (Di has no score, so no 0 or -inf wins)
    assert selected(rows[0, 3]) == [0]  # argmax over the selection {Ann} only


def test_argmax_and_argmin_of_an_empty_or_valueless_selection_are_empty():
    scalar, _, rows = run([("reset", 0), ("greater", SCORE), ("argmax", SCORE), ("count", 0)],
                          pivots=(1, 0, 0, 0))  # score > 30: nobody
    assert selected(rows[0, 2]) == [] and scalar.tolist() == [0.0]
    ex = example(entry_match=((3, 0),))  # the question names Di, whose score is missing
    _, _, rows = run([("select", NAME), ("argmin", SCORE), ("reset", 0), ("reset", 0)], [ex])
    assert selected(rows[0, 0]) == [3] and selected(rows[0, 1]) == []


# ---- prev / next / first / last ------------------------------------------------------------------------

def test_prev_and_next_of_a_selected_row():
    _, _, rows = run([("select", NAME), ("prev", 0), ("select", NAME), ("next", 0)])
    assert selected(rows[0, 1]) == [0] and selected(rows[0, 3]) == [2]  # before / after Bob


def test_prev_of_the_first_row_and_next_of_the_last_row_are_empty():
    first = example(entry_match=((0, 0),))
    _, _, rows = run([("select", NAME), ("prev", 0), ("reset", 0), ("last", 0)], [first])
    assert selected(rows[0, 1]) == []
    # a shorter table in a padded batch: next of its last row must not select a padding row
    short = example(entry_match=((2, 0),), rows=ROWS[:3])
    _, _, rows = run([("select", NAME), ("next", 0), ("reset", 0), ("last", 0)], [example(), short])
    assert selected(rows[1, 1]) == [] and selected(rows[0, 3]) == [4] and selected(rows[1, 3]) == [2]


def test_first_and_last_of_a_selection_and_of_nothing():
    _, _, rows = run([("greater", SCORE), ("first", 0), ("greater", SCORE), ("last", 0)])
    assert selected(rows[0, 1]) == [1] and selected(rows[0, 3]) == [4]
    _, _, rows = run([("greater", SCORE), ("last", 0), ("reset", 0), ("reset", 0)], pivots=(1, 0, 0, 0))
    assert selected(rows[0, 1]) == []  # last of an empty selection


# ---- most frequent entry, select, reset ----------------------------------------------------------------

def test_most_frequent_entry_select_and_reset():
    scalar, _, rows = run([("mfe", TEAM), ("count", 0), ("mfe", SCORE), ("mfe", NAME)])
    assert selected(rows[0, 0]) == [0, 2, 4] and scalar.tolist() == [0.0]  # red three times
    assert selected(rows[0, 2]) == [1, 2] and selected(rows[0, 3]) == []  # 30 twice; no name repeats
    scalar, _, rows = run([("select", NAME), ("reset", 0), ("reset", 0), ("count", 0)])
    assert selected(rows[0, 1]) == [0, 1, 2, 3, 4] and scalar.tolist() == [5.0]


# ---- soft execution with fractional selections: TF's scans as loops -----------------------------------

def tf_scan(rs: list[float]) -> list[float]:
    """TF's soft first: R[i] = max(rs[i]·(1 − S), 0), S += R[i]."""
    out, total = [], 0.0
    for r in rs:
        out.append(max(r * (1 - total), 0.0))
        total += out[-1]
    return out


def tf_argmax(rs, values, valid, descending=True) -> list[float]:
    """TF's soft argmax of one column: rows by value (stable), p = rs·V·(1 − S)·[S < 1], S += p."""
    order = sorted(range(len(rs)), key=lambda i: -values[i] if descending else values[i])
    out, total = [0.0] * len(rs), 0.0
    for i in order:
        p = rs[i] * valid[i] * (1 - total) * (total < 1)
        out[i], total = p, total + p
    return out


def test_soft_first_last_and_superlatives_follow_tfs_scans():
    rs = [0.3, 0.0, 0.5, 1.0, 0.2, 0.9]
    values = [4.0, 9.0, 4.0, 7.0, 9.0, 1.0]
    valid = [1.0, 1.0, 1.0, 0.0, 1.0, 1.0]
    t = torch.tensor([rs], dtype=torch.float64)
    assert torch.allclose(soft_first(t)[0], torch.tensor(tf_scan(rs), dtype=torch.float64))
    last = soft_first(t.flip(1)).flip(1)[0]
    assert torch.allclose(last, torch.tensor(tf_scan(rs[::-1])[::-1], dtype=torch.float64))
    v = torch.tensor([values], dtype=torch.float64)[..., None]
    for descending in (True, False):
        order = torch.sort(v, dim=1, descending=descending, stable=True).indices
        got = soft_superlative(t, torch.tensor([valid])[..., None].bool(), order)[0, :, 0]
        assert torch.allclose(got, torch.tensor(tf_argmax(rs, values, valid, descending), dtype=torch.float64))
