"""The larger language of the 2017 model (ModelConfig.ops "extended": sum, average, distinct, diff, and) on the hand
table of test_ops.py: every program runs softly with one-hot choices and as the discrete program, both must give the
hand-computed number or rows; then the model, its words, its search and what it can say.

    row  score  year  name  team
    0    10     2001  Ann   red
    1    30     2003  Bob   blue
    2    30     2002  Cy    red
    3    -      2005  Di    blue      (score missing)
    4    20     2004  Ed    red
"""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from engine.core.seeded_init import seeded
from engine.wtq2017.batch import build_vocab, encode_batch
from engine.wtq2017.checkpoint import load_checkpoint, save_checkpoint
from engine.wtq2017.config import ALL_OPS, EXTRA_OPS, OPS, ModelConfig
from engine.wtq2017.model import NeuralProgrammer, batch_loss
from engine.wtq2017.ops import COMPARISONS, OP, run_hard, run_soft, table_of
from engine.wtq2017.predict import from_table
from engine.wtq2017.search import _Example, search_all, search_loss
from engine.wtq2017.trace import ask_table, program_words
from tests.wtq2017.test_ops import NAME, SCORE, TEAM, YEAR, example

CONFIG = ModelConfig(vocab_size=10, number_columns=2, word_columns=2, ops="extended")


def run(program, ex=None, pivots=(0, 0, 0, 0)):
    """`program` [(op, slot)] run softly (one-hot over every op) and hard; they must agree. Hard's scalar, rows."""
    examples = [ex or example()]
    batch = encode_batch(examples, build_vocab(examples, 1), CONFIG)
    table = table_of(batch)
    ops = torch.tensor([[OP[op] for op, _ in program]])
    cols = torch.tensor([[slot for _, slot in program]])
    piv = torch.tensor([list(pivots)])
    scalar, lookup, rows = run_hard(ops, cols, piv, table)
    betas = {op: F.one_hot(piv[:, k], 2).double() for k, op in enumerate(COMPARISONS)}
    s_scalar, s_lookup, s_rows = run_soft(F.one_hot(ops, len(ALL_OPS)).double(),
                                          F.one_hot(cols, CONFIG.columns).double(), betas, table, names=ALL_OPS)
    assert torch.equal(s_rows, rows.double()) and torch.equal(s_lookup, lookup.double())
    assert torch.allclose(s_scalar, scalar, rtol=0, atol=1e-9), (s_scalar, scalar)
    return scalar.item(), [r.nonzero().flatten().tolist() for r in rows[0]]


ALL_ROWS = [("reset", 0)] * 3


@pytest.mark.parametrize("program, expected", [
    (ALL_ROWS + [("sum", SCORE)], 90.0),  # 10 + 30 + 30 + 20: the missing score adds nothing
    (ALL_ROWS + [("average", SCORE)], 22.5),  # over the 4 scores there are
    (ALL_ROWS + [("distinct", TEAM)], 2.0),  # red, blue
    (ALL_ROWS + [("distinct", SCORE)], 3.0),  # 10, 30, 20: an empty cell is no value
    (ALL_ROWS + [("diff", YEAR)], 4.0),  # 2005 − 2001
    ([("reset", 0), ("reset", 0), ("argmax", YEAR), ("average", SCORE)], 0.0),  # Di has no score: nothing to average
    ([("reset", 0), ("mfe", TEAM), ("first", 0), ("sum", YEAR)], 2001.0),
    ([("reset", 0), ("reset", 0), ("select", NAME), ("diff", SCORE)], 0.0),  # one row: no difference
])
def test_each_new_number_against_a_hand_value(program, expected):
    assert run(program)[0] == expected


def test_and_keeps_the_rows_both_steps_selected():
    # team red (rows 0, 2, 4) and year > 2002 (rows 1, 3, 4): row 4; then Ed's score
    scalar, rows = run([("mfe", TEAM), ("greater", YEAR), ("and", 0), ("sum", SCORE)],
                       ex=example(numbers=(2002.0,)))
    assert rows[:3] == [[0, 2, 4], [1, 3, 4], [4]] and scalar == 20.0
    # at t1 "and" reads every row twice: the rows stay all selected
    assert run([("and", 0), ("reset", 0), ("reset", 0), ("count", 0)])[1][0] == [0, 1, 2, 3, 4]


def test_soft_execution_mixes_the_new_numbers_by_their_probabilities():
    examples = [example()]
    batch = encode_batch(examples, build_vocab(examples, 1), CONFIG)
    p_ops = torch.zeros(1, 1, len(ALL_OPS), dtype=torch.float64)
    p_ops[0, 0, OP["sum"]], p_ops[0, 0, OP["average"]] = 0.25, 0.75
    p_cols = F.one_hot(torch.tensor([[SCORE]]), CONFIG.columns).double()
    betas = {op: torch.tensor([[1.0, 0.0]], dtype=torch.float64) for op in COMPARISONS}
    scalar, _, _ = run_soft(p_ops, p_cols, betas, table_of(batch), names=ALL_OPS)
    assert scalar.item() == pytest.approx(0.25 * 90 + 0.75 * 22.5)


def test_the_paper_model_keeps_its_15_operations_and_old_files_read_as_paper():
    assert ModelConfig().op_names == OPS and CONFIG.op_names == OPS + EXTRA_OPS
    assert ALL_OPS[:len(OPS)] == OPS  # every paper operation keeps its index


def test_an_extended_model_trains_answers_and_round_trips(tmp_path):
    columns, rows = ["Year", "Team", "Sales"], [[2019, "Reds", 120], [2020, "Blues", 90], [2021, "Reds", 150]]
    ex = from_table(columns, rows, "what is the total of sales?", ["360"])
    vocab = build_vocab([ex], 1)
    cfg = ModelConfig(d=16, number_columns=2, word_columns=2, ops="extended", vocab_size=len(vocab))
    model = seeded(lambda: NeuralProgrammer(cfg, vocab), 0)
    assert model.unit.shape[0] == 20
    batch = encode_batch([ex], vocab, cfg)
    out = model(batch)
    # the paper's scalar loss is capped (max_math_error): a total of 360 is far off, so only the search teaches sum
    paper_loss = batch_loss(out, batch, cfg)
    assert paper_loss.item() == cfg.max_math_error
    loss = paper_loss + search_loss(out, search_all([ex], cfg), cfg.T)
    loss.backward()
    assert torch.isfinite(loss) and model.unit.grad[OP["sum"]].abs().sum() > 0  # the new rows learn
    trace = ask_table(model, vocab, columns, rows, "what is the total of sales?", beam=4)
    assert trace["ops"] == list(ALL_OPS) and trace["extra"]["cannot_say"] == []  # it has a sum
    paper = seeded(lambda: NeuralProgrammer(ModelConfig(d=16, number_columns=2, word_columns=2,
                                                        vocab_size=len(vocab)), vocab), 0)
    assert [f["operation"] for f in ask_table(paper, vocab, columns, rows, "what is the total of sales?")
            ["extra"]["cannot_say"]] == ["sum"]
    path = save_checkpoint(tmp_path / "x.safetensors", model, vocab)
    again, _, _ = load_checkpoint(path)
    assert again.config.ops == "extended" and again.unit.shape == model.unit.shape


def test_the_new_steps_in_words():
    words = program_words([{"op": "sum", "column": 2, "pivot": None}, {"op": "and", "column": None, "pivot": None},
                           {"op": "diff", "column": 0, "pivot": None}], ["Year", "Team", "Sales"])
    assert words == ["t1: add up “Sales” over the selected rows", "t2: keep the rows selected by both of the last "
                     "two steps", "t3: subtract the smallest “Year” of the selected rows from the largest"]


def test_search_finds_programs_of_the_larger_language():
    columns, rows = ["Year", "Team", "Sales"], [[2019, "Reds", 120], [2020, "Blues", 90], [2021, "Reds", 150]]
    cfg = ModelConfig(number_columns=2, word_columns=2, ops="extended")
    total = from_table(columns, rows, "what is the total of sales?", ["360"])
    found = search_all([total], cfg)[0]
    sales = 1  # number slots first: Year, Sales
    assert ((-1, -1, OP["reset"], OP["sum"]), (0, 0, 0, sales), (-1,) * 4) in found
    assert search_all([total], ModelConfig(number_columns=2, word_columns=2))[0] == []  # the paper's cannot
    # "and" starts: two static selections whose AND is neither of them
    reds_after = from_table(columns, rows, "how many reds after 2019?", ["1"])
    batch = encode_batch([reds_after], build_vocab([reds_after], 1), cfg)
    pairs = _Example(batch, 0, cfg.op_names).anded()
    # Reds (rows 0, 2) and year > 2019 (rows 1, 2): row 2 alone
    firsts = [{s[0] for s in steps[:2]} for rows_, steps in pairs if rows_ == 0b100 and steps[2][0] == OP["and"]]
    assert {OP["select"], OP["greater"]} in firsts
    assert all(rows_ for rows_, _ in pairs)  # an empty AND is never a start


def test_the_step_views_explain_the_new_operations():
    from explorer.components import step_explain

    columns, rows = ["Year", "Team", "Sales"], [[2019, "Reds", 120], [2020, "Blues", 90], [2021, "Reds", 150]]
    ex = from_table(columns, rows, "what is the total of sales?", ["360"])
    vocab = build_vocab([ex], 1)
    cfg = ModelConfig(d=16, number_columns=2, word_columns=2, ops="extended", vocab_size=len(vocab))
    model = seeded(lambda: NeuralProgrammer(cfg, vocab), 0)
    trace = ask_table(model, vocab, columns, rows, "what is the total of sales?")
    # the trace of a hand program: reset, reset, and, sum Sales
    for t, (op, column) in enumerate([("reset", None), ("reset", None), ("and", None), ("sum", 2)], start=1):
        trace["steps"][t - 1].update(op=op, column_index=column)
        trace["steps"][t - 1]["rows_hard"] = [0.0] * 3 if op == "sum" else [1.0] * 3
    trace["answer"].update(kind="scalar", scalar=360.0)
    assert step_explain.reads_line(trace, 3) == ("and reads the rows selected after t1 (3 of 3) and after t2 "
                                                 "(3 of 3) and keeps those in both.")
    assert step_explain.reads_line(trace, 4) == "sum reads the rows selected after t3: 3 of 3."
    assert step_explain.output(trace, 4, "hard") == "sum 360"
    assert "outputs a number (the answer)" in step_explain.after_line(trace, 4)


def test_the_soft_distinct_count_against_its_definition():
    from engine.wtq2017.ops import soft_distinct

    torch.manual_seed(0)
    rs = torch.rand(3, 7, dtype=torch.float64)
    key = torch.randint(-1, 3, (3, 7, 2))  # three texts and empty cells, in two columns
    expected = torch.zeros(3, 2, dtype=torch.float64)
    for b in range(3):
        for c in range(2):
            for i in range(7):
                if key[b, i, c] < 0:
                    continue
                unseen = 1.0
                for j in range(i):
                    if key[b, j, c] == key[b, i, c]:
                        unseen *= 1 - rs[b, j].item()
                expected[b, c] += rs[b, i].item() * unseen
    assert torch.allclose(soft_distinct(rs, key), expected, atol=1e-12)
