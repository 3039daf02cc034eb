"""Program search: its fast hard executor against the model's own hard execution, and its loss."""

import pytest
import torch
import torch.nn.functional as F

from engine.core.vocab import Vocab
from engine.np2016 import presets
from engine.np2016.batch import encode
from engine.np2016.data import tasks as data
from engine.np2016.evaluate import answer_correct, correct, op_kinds
from engine.np2016.model import NeuralProgrammer
from engine.np2016.ops import advance, comparisons, execute_step, initial_state
from engine.np2016.search import ProgramMemory, execute_programs, search_loss


def reference_programs(ops, op_s, col_s, pivots, batch):
    """The same programs through ops.execute_step with one-hot choices, one program at a time."""
    K, B, T = op_s.shape
    op_index = {name: i for i, name in enumerate(ops)}
    C, N = batch.values.shape[2], batch.numbers.shape[1]
    scalars, oks = torch.zeros(K, B), torch.zeros(K, B, dtype=torch.bool)
    numeric = (1 - batch.text_col)[:, None, :]
    for k in range(K):
        beta = {op: F.one_hot(p[k], N).float() for op, p in pivots.items()}
        greater = comparisons(batch.values, batch.valid, batch.numbers, beta["greater"])[0] * numeric
        lesser = comparisons(batch.values, batch.valid, batch.numbers, beta["lesser"])[1] * numeric
        text = batch.entry_match * batch.text_col[:, None, :]
        state = initial_state(batch.row_mask)
        for t in range(T):
            p_op = F.one_hot(op_s[k, :, t], len(ops)).float()
            p_col = F.one_hot(col_s[k, :, t], C).float()
            scalar, lookup, rows = execute_step(op_index, p_op, p_col, batch.values, batch.row_mask, greater,
                                                lesser, text, state)
            state = advance(state, scalar, rows)
        scalars[k] = scalar
        oks[k] = answer_correct(op_kinds(ops)[op_s[k, :, -1]], scalar, lookup, batch)
    return scalars, oks


@pytest.mark.parametrize("task", ["single-column", "columns-3", "text-2"])
def test_random_programs_match_soft_ops_with_one_hot_choices(task):
    vocab = Vocab(data.vocabulary(task))
    examples = data.generate(task, "test", 40, seed=3)
    batch = encode(examples, vocab, exact=False)  # float32, as training's store: the reference's dtype
    ops = presets.model_config("default", task, len(vocab)).ops
    g = torch.Generator().manual_seed(0)
    K, B, T = 30, len(examples), 4
    op_s = torch.randint(len(ops), (K, B, T), generator=g)
    col_s = (torch.rand(K, B, T, generator=g) * batch.col_mask.sum(-1)[None, :, None]).long()
    pivots = {op: (torch.rand(K, B, generator=g) * batch.number_mask.sum(-1)).long() for op in ("greater", "lesser")}
    scalar, _, ok = execute_programs(ops, op_s, col_s, pivots, batch)
    ref_scalar, ref_ok = reference_programs(ops, op_s, col_s, pivots, batch)
    assert torch.allclose(scalar, ref_scalar, atol=1e-3)
    assert torch.equal(ok, ref_ok)


def difference_programs():
    """Diff-template questions of single-column and their true programs written by hand (1, B, 4)."""
    vocab = Vocab(data.vocabulary("single-column"))
    ops = presets.model_config("default", "single-column", len(vocab)).ops
    examples = [e for e in data.generate("single-column", "test", 300, seed=1) if "diff" in e["program"]]
    batch = encode(examples, vocab)
    i = {o: k for k, o in enumerate(ops)}
    sum_first = torch.tensor(["sum" in e["program"].split("diff")[0] for e in examples])
    first = torch.where(sum_first, i["sum"], i["count"])
    third = torch.where(sum_first, i["count"], i["sum"])
    program = torch.stack([first, torch.full_like(first, i["reset"]), third,
                           torch.full_like(first, i["difference"])], -1)[None]  # (1, B, 4)
    return vocab, ops, i, batch, program


def test_the_true_program_is_found_correct():
    """Programs written by hand from the templates answer their questions (and a wrong one does not)."""
    vocab, ops, i, batch, program = difference_programs()
    examples = range(batch.values.shape[0])
    cols = torch.zeros_like(program)
    pivots = {op: torch.zeros(1, len(examples), dtype=torch.long) for op in ("greater", "lesser")}
    assert execute_programs(ops, program, cols, pivots, batch)[2].all()
    program[..., 3] = i["sum"]
    assert not execute_programs(ops, program, cols, pivots, batch)[2].any()


def test_argmax_sample_agrees_with_model_hard_forward_and_loss_has_gradient():
    task = "columns-3"
    vocab = Vocab(data.vocabulary(task))
    torch.manual_seed(0)
    model = NeuralProgrammer(presets.model_config("default", task, len(vocab)))
    batch = encode(data.generate(task, "train", 60, seed=2), vocab)
    out = model(batch)
    with torch.no_grad():
        hard = model(batch, hard=True)
    argmax = {op: lg.argmax(-1)[None] for op, lg in out["pivot_logits"].items()}
    scalar, rows, ok = execute_programs(model.config.ops, out["op_logits"].argmax(-1)[None],
                                        out["col_logits"].argmax(-1)[None], argmax, batch)
    assert torch.allclose(scalar[0], hard["scalar"], atol=1e-3)
    assert torch.equal(rows[0].float(), hard["rows"][:, -2])
    hard_ok = correct(model, hard, batch)
    assert torch.equal(ok[0], hard_ok)
    g = torch.Generator().manual_seed(0)
    mml, found = search_loss(model, out, batch, samples=64, epsilon=0.5, generator=g)
    assert found.shape == mml.shape == (len(batch),)
    assert found[hard_ok].all()  # sample 0 is the argmax program
    assert (mml[~found] == 0).all() and (mml[found] >= 0).all()
    if found.any():
        mml[found].mean().backward()
        assert model.op_embed.grad is not None and model.op_embed.grad.abs().sum() > 0


def test_memory_replays_stored_programs_and_forgets_the_least_successful():
    vocab, ops, i, batch, program = difference_programs()
    B = program.shape[1]
    torch.manual_seed(0)
    model = NeuralProgrammer(presets.model_config("default", "single-column", len(vocab)))
    out = model(batch)
    g = torch.Generator().manual_seed(0)
    # an untrained model with no exploration finds (almost) none of these four-step programs
    assert search_loss(model, out, batch, samples=2, epsilon=0.0, generator=g)[1].float().mean() < 0.2
    memory = ProgramMemory(size=2)
    keys = memory.keys(batch)
    rows = memory.programs(program[0], {op: torch.zeros(B, dtype=torch.long) for op in memory.pivot_ops},
                           model.op_index)
    memory.store(keys, [[] for _ in keys], torch.zeros(0, B, dtype=torch.bool), rows, torch.ones(B, dtype=torch.bool))
    assert len(memory.entries) == 2  # two wordings: "sum A diff count" and "count diff sum A"
    mml, found = search_loss(model, out, batch, samples=2, epsilon=0.0, generator=g, memory=memory)
    assert found.all() and (mml > 0).all()
    recalled, _, present, _ = memory.recall(keys, 4)
    assert present[0].all() and torch.equal(recalled[0], program[0])
    assert all(max(entry.values()) >= 2 for entry in memory.entries.values())  # right again: counted
    # a full entry makes room for a new find by forgetting its least successful program
    key = keys[0]
    memory.entries[key] = {(0, 0, 0, 0, 0, 0): 5, (1, 1, 1, 1, 0, 0): 1}
    other = torch.tensor([[i["count"]] * 4 + [0, 0]])
    memory.store([key], [[]], torch.zeros(0, 1, dtype=torch.bool), other, torch.ones(1, dtype=torch.bool))
    assert set(memory.entries[key]) == {(0, 0, 0, 0, 0, 0), (i["count"],) * 4 + (0, 0)}


def test_sampled_programs_run_only_for_unsolved_questions(monkeypatch):
    """With the true programs remembered every question is solved: no sampled program is executed unless
    explore_solved asks for it."""
    import engine.np2016.search as search

    vocab, ops, i, batch, program = difference_programs()
    B = program.shape[1]
    torch.manual_seed(0)
    model = NeuralProgrammer(presets.model_config("default", "single-column", len(vocab)))
    out = model(batch)
    memory = ProgramMemory(size=2)
    rows = memory.programs(program[0], {op: torch.zeros(B, dtype=torch.long) for op in memory.pivot_ops},
                           model.op_index)
    memory.store(memory.keys(batch), [[] for _ in range(B)], torch.zeros(0, B, dtype=torch.bool), rows,
                 torch.ones(B, dtype=torch.bool))
    executed = []
    real = search.execute_programs
    monkeypatch.setattr(search, "execute_programs", lambda ops, o, *a: executed.append(o.shape) or real(ops, o, *a))
    g = torch.Generator().manual_seed(0)
    found = search_loss(model, out, batch, samples=16, epsilon=0.5, generator=g, memory=memory)[1]
    assert found.all() and executed == [(3, B, 4)]  # argmax + 2 remembered slots, no draws
    executed.clear()
    search_loss(model, out, batch, samples=16, epsilon=0.5, generator=g, memory=memory, explore_solved=True)
    assert executed == [(3, B, 4), (15, B, 4)]


@pytest.mark.parametrize("task", ["columns-3", "text-2"])
def test_one_question_batches_execute(task):
    """A batch of one (the unsolved questions of a step can be a single one) goes through the executor."""
    vocab = Vocab(data.vocabulary(task))
    examples = data.generate(task, "train", 6, seed=5)
    ops = presets.model_config("default", task, len(vocab)).ops
    g = torch.Generator().manual_seed(1)
    for ex in examples:
        batch = encode([ex], vocab, exact=False)
        op_s = torch.randint(len(ops), (7, 1, 4), generator=g)
        col_s = torch.randint(len(ex["columns"]), (7, 1, 4), generator=g)
        pivots = {op: torch.zeros(7, 1, dtype=torch.long) for op in ("greater", "lesser")}
        scalar, _, ok = execute_programs(ops, op_s, col_s, pivots, batch)
        ref_scalar, ref_ok = reference_programs(ops, op_s, col_s, pivots, batch)
        assert torch.allclose(scalar, ref_scalar, atol=1e-3) and torch.equal(ok, ref_ok)
