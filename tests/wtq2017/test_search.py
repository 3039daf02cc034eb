"""Program search for the 2017 family (engine/wtq2017/search.py): on hand tables it finds exactly the programs
that a brute-force run of every program through the model's own hard execution (ops.run_hard) finds right, at the
lengths it keeps; the loss charges what decode.top_programs charges; the cache is reused and rebuilt."""

from __future__ import annotations

import dataclasses
import itertools
import json

import torch

from engine.core.marginal import marginal_loss
from engine.core.seeded_init import seeded
from engine.core.vocab import Vocab
from engine.wtq2017.batch import build_vocab, encode_batch
from engine.wtq2017.config import OPS, ModelConfig
from engine.wtq2017.dataset.evaluator import denotation_match
from engine.wtq2017.decode import answers_of
from engine.wtq2017.model import NeuralProgrammer
from engine.wtq2017.ops import COLUMN_OPS, COMPARISONS, OP, run_hard, table_of
from engine.wtq2017.predict import denotation, from_table
from engine.wtq2017.search import STATIC, cached_search, program_log_probs, program_tensors, search_all, search_loss

CONFIG = ModelConfig(number_columns=2, word_columns=2, T=3)
COLUMNS = ["Year", "Team", "Sales"]
ROWS = [[2019, "Reds", 120], [2020, "Blues", 90], [2021, "Reds", 150], [2022, "Greens", 60]]
QUESTIONS = [("which year had the most sales?", ["2021"]),
             ("how many years had sales more than 100?", ["2"]),
             ("what was the team in 2020?", ["Blues"])]


def examples():
    return [from_table(COLUMNS, ROWS, q, target) for q, target in QUESTIONS]


def canonical(ops, cols, pivots):
    """A full program as the search writes it: the steps before its last static one are wildcards (−1); a column
    only where the op reads one; a pivot only for the comparisons used. None when no step is static."""
    static = [t for t, o in enumerate(ops) if OPS[o] in STATIC]
    if not static:
        return None
    start = static[-1]
    kept_ops = tuple(-1 if t < start else o for t, o in enumerate(ops))
    pairs = enumerate(zip(ops, cols, strict=True))
    kept_cols = tuple(c if t >= start and OPS[o] in COLUMN_OPS else 0 for t, (o, c) in pairs)
    used = {OPS[o] for o in kept_ops if o >= 0}
    kept_pivots = tuple(p if name in used else -1 for name, p in zip(COMPARISONS, pivots, strict=True))
    return kept_ops, kept_cols, kept_pivots


def brute_force_right(ex, b, batch):
    """Every program of T steps (each op with each column slot that holds a column, each pivot of the question's
    numbers), run by ops.run_hard: the canonical forms of those whose denotation is right."""
    T = CONFIG.T
    slots = [s for s in range(CONFIG.columns) if batch.col_mask[b, s] > 0]
    numbers = max(1, int(batch.number_mask[b].sum()))
    steps = [(o, s) for o in range(len(OPS)) for s in (slots if OPS[o] in COLUMN_OPS else slots[:1])]
    programs = list(itertools.product(steps, repeat=T))
    pivot_sets = list(itertools.product(range(numbers), repeat=len(COMPARISONS)))
    ops = torch.tensor([[o for o, _ in p] for p in programs for _ in pivot_sets])
    cols = torch.tensor([[s for _, s in p] for p in programs for _ in pivot_sets])
    pivots = torch.tensor(pivot_sets * len(programs))
    one = encode_batch([ex], Vocab([]), CONFIG)
    table = table_of(one)
    n = len(ops)
    big = type(table)(**{k: v.expand(n, *v.shape[1:]) for k, v in vars(table).items()})
    scalar, lookup, _ = run_hard(ops, cols, pivots, big)
    right = set()
    for k, answer in enumerate(answers_of(one, [0] * n, ops, cols, pivots, scalar, lookup)):
        den = denotation(ex, answer)
        if den and denotation_match(den, ex["target"]):
            form = canonical(ops[k].tolist(), cols[k].tolist(), pivots[k].tolist())
            if form is not None:
                right.add(form)
    return right


def length(program) -> int:
    return sum(o >= 0 for o in program[0])


def test_search_finds_exactly_the_right_programs_of_the_lengths_it_keeps():
    exs = examples()
    batch = encode_batch(exs, Vocab([]), CONFIG)
    found = search_all(exs, CONFIG, limit=100_000, edges=100_000)
    for b, ex in enumerate(exs):
        assert found[b], ex["question"]
        shortest = min(map(length, found[b]))
        expected = {p for p in brute_force_right(ex, b, batch) if length(p) <= shortest + 1}
        assert set(found[b]) == expected, ex["question"]
        assert min(map(length, expected)) == shortest  # nothing shorter was missed
    # the program a person would write is among them: all rows, argmax Sales, print Year (slots: numbers first)
    year, sales = 0, 1
    assert ((OP["reset"], OP["argmax"], OP["print"]), (0, sales, year), (-1,) * 4) in found[0]


def test_search_ranks_shortest_first_and_respects_the_limit():
    exs = examples()
    found = search_all(exs, CONFIG, limit=3)
    for progs in found:
        assert 1 <= len(progs) <= 3
        assert [length(p) for p in progs] == sorted(length(p) for p in progs)


def test_a_question_without_a_target_or_a_right_program_gets_none():
    exs = [from_table(COLUMNS, ROWS, "which year had the most sales?"),
           from_table(COLUMNS, ROWS, "what is the total of sales?", ["420"])]  # no sum in this language
    assert search_all(exs, CONFIG) == [[], []]


def model_and_out(exs):
    vocab = build_vocab(exs, 1)
    cfg = ModelConfig(**{**CONFIG.to_dict(), "vocab_size": len(vocab)})
    model = seeded(lambda: NeuralProgrammer(cfg, vocab), 0).eval()
    batch = encode_batch(exs, vocab, cfg)
    return model, model(batch), batch


def test_a_programs_log_probability_is_the_product_the_beam_ranks_by():
    exs = examples()
    _, out, _ = model_and_out(exs)
    program = ((OP["select"], OP["argmax"], OP["print"]), (2, 1, 0), (-1,) * 4)  # select Team, argmax Sales, print
    ops, slots, pivots, present = program_tensors([[program]] * len(exs), CONFIG.T)
    logp = program_log_probs(out, ops, slots, pivots)[:, 0]
    log_op, log_col = out["op_logits"].log_softmax(-1), out["col_logits"].log_softmax(-1)
    expected = sum(log_op[:, t, o] + log_col[:, t, c] for t, (o, c) in enumerate(zip(*program[:2], strict=True)))
    assert torch.allclose(logp, expected)
    # a wildcard step costs nothing: its probabilities over every choice sum to one
    wild = ((-1, OP["argmax"], OP["print"]), (0, 1, 0), (-1,) * 4)
    logp_wild = program_log_probs(out, *program_tensors([[wild]] * len(exs), CONFIG.T)[:3])[:, 0]
    assert torch.allclose(logp_wild, expected - log_op[:, 0, OP["select"]] - log_col[:, 0, 2])
    # a comparison is charged its pivot; a column-free op no column
    compare = ((-1, OP["greater"], OP["count"]), (0, 1, 2), (-1, -1, -1, -1))
    compare = (compare[0], compare[1], (0, -1, -1, -1))
    logp_cmp = program_log_probs(out, *program_tensors([[compare]] * len(exs), CONFIG.T)[:3])[:, 0]
    pivot = out["pivot_logits"].log_softmax(-1)[:, 0, 0]
    assert torch.allclose(logp_cmp, log_op[:, 1, OP["greater"]] + log_col[:, 1, 1] + log_op[:, 2, OP["count"]] + pivot)


def test_the_search_loss_is_the_marginal_over_the_programs_and_trains():
    exs = examples()
    model, out, _ = model_and_out(exs)
    found = search_all(exs, CONFIG, limit=8)
    found[1] = []  # a question without programs adds nothing
    loss = search_loss(out, found, CONFIG.T)
    ops, slots, pivots, present = program_tensors(found, CONFIG.T)
    per_question, has = marginal_loss(program_log_probs(out, ops, slots, pivots), present, dim=1)
    assert has.tolist() == [True, False, True] and per_question[1] == 0
    assert torch.isclose(loss, per_question.sum() / 2)
    loss.backward()
    assert all(p.grad is None or torch.isfinite(p.grad).all() for p in model.parameters())
    assert model.unit.grad.abs().sum() > 0


def test_the_cache_is_reused_and_rebuilt_when_the_data_changes(tmp_path):
    data = tmp_path / "train.jsonl"
    exs = examples()
    data.write_text("".join(json.dumps(ex) + "\n" for ex in exs))
    first, record = cached_search(exs, CONFIG, data, log=lambda _: None)
    cache = tmp_path / "train.programs.json"
    assert cache.is_file() and first == search_all(exs, CONFIG)
    assert not record["cached"] and record["questions_with_programs"] == 3 and record["seconds"] >= 0
    assert cached_search(exs, CONFIG, data, log=lambda _: None)[1] == {**record, "cached": True}
    stored = json.loads(cache.read_text())
    stored["programs"][0] = []  # what is read back is the file's, not searched again
    cache.write_text(json.dumps(stored))
    assert cached_search(exs, CONFIG, data, log=lambda _: None)[0][0] == []
    changed = [exs[0], {**exs[1], "target": ["3"]}, exs[2]]  # another target: another key, searched again
    assert cached_search(changed, CONFIG, data, log=lambda _: None)[0][0] == first[0]
    cache.write_text("{not json")  # a damaged cache is searched again
    assert cached_search(exs, CONFIG, data, log=lambda _: None)[0] == first


def test_another_matching_searches_into_its_own_cache(tmp_path):
    data = tmp_path / "train.jsonl"
    exs = examples()
    data.write_text("".join(json.dumps(ex) + "\n" for ex in exs))
    cached_search(exs, CONFIG, data, log=lambda _: None)
    other = dataclasses.replace(CONFIG, cell_text="normalised", dates="value")
    found, record = cached_search(exs, other, data, log=lambda _: None)
    assert not record["cached"]  # another matching: the paper's cache is not read for it, nor overwritten
    assert (tmp_path / "train.programs.json").is_file()
    assert (tmp_path / "train.programs-normalised-dates-by-value.json").is_file()
    assert cached_search(exs, other, data, log=lambda _: None)[1]["cached"]
