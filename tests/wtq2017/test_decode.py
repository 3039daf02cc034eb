"""Execution-guided beam decoding (engine/wtq2017/decode.py): the beam against a brute-force enumeration of every
program, the guided choice on a hand table, each rejection reason, and the command line's --beam."""

from __future__ import annotations

import itertools
import json
import math

import pytest
import torch

from engine.cli.main import main
from engine.core.seeded_init import seeded
from engine.wtq2017.batch import build_vocab
from engine.wtq2017.checkpoint import save_checkpoint
from engine.wtq2017.config import OPS, ModelConfig
from engine.wtq2017.decode import REJECTIONS, rejection, top_programs
from engine.wtq2017.model import NeuralProgrammer
from engine.wtq2017.ops import COLUMN_OPS
from engine.wtq2017.predict import answer_all, from_table
from engine.wtq2017.trace import ask_table

COLUMNS, ROWS = ["Nation", "Gold"], [["Cuba", 5], ["Brazil", 2], ["Chile", 7], ["Peru", 3]]
QUESTION = "how many nations won more than 9 gold?"


def brute_force(op_logits, col_logits, width):
    """Every program of one example with its probability, the most probable `width`: a plain reference."""
    p_op, p_col = op_logits.double().softmax(-1), col_logits.double().softmax(-1)  # (T, O), (T, C)
    best_col = p_col.argmax(-1)
    per_step = []
    for t in range(p_op.shape[0]):
        choices = []
        for o, name in enumerate(OPS):
            if name in COLUMN_OPS:
                choices += [((o, c), float(p_op[t, o] * p_col[t, c])) for c in range(p_col.shape[1])]
            else:
                choices.append(((o, int(best_col[t])), float(p_op[t, o])))
        per_step.append(choices)
    programs = [(tuple(s for s, _ in combo), math.prod(p for _, p in combo)) for combo in itertools.product(*per_step)]
    return sorted(programs, key=lambda x: -x[1])[:width]


@pytest.mark.parametrize("seed", range(4))
def test_the_beam_finds_the_most_probable_programs_of_a_brute_force_enumeration(seed):
    g = torch.Generator().manual_seed(seed)
    T, C, width = 3, 3, 20
    op_logits, col_logits = torch.randn(2, T, len(OPS), generator=g) * 2, torch.randn(2, T, C, generator=g) * 2
    ops, cols, log_p = top_programs({"op_logits": op_logits, "col_logits": col_logits}, width)
    assert ops.shape == cols.shape == (2, width, T) and log_p.shape == (2, width)
    for b in range(2):
        expected = brute_force(op_logits[b], col_logits[b], width)
        got = [tuple(zip(ops[b, k].tolist(), cols[b, k].tolist(), strict=True)) for k in range(width)]
        assert got == [program for program, _ in expected]
        assert log_p[b].exp().tolist() == pytest.approx([p for _, p in expected], rel=1e-9)


def test_a_beam_wider_than_the_programs_there_are_lists_each_once():
    op_logits, col_logits = torch.zeros(1, 1, len(OPS)), torch.zeros(1, 1, 2)
    ops, cols, log_p = top_programs({"op_logits": op_logits, "col_logits": col_logits}, 1000)
    column_ops = sum(name in COLUMN_OPS for name in OPS)
    assert ops.shape[1] == column_ops * 2 + len(OPS) - column_ops  # the free ops keep one column
    assert log_p.exp().sum().item() == pytest.approx(1.0)  # every program: the probabilities sum to one


@pytest.fixture()
def forced_model():
    """A model forced to prefer greater(Gold, 9) (no row) then print(Nation) or count, then reset."""
    example = from_table(COLUMNS, ROWS, QUESTION)
    vocab = build_vocab([example], 1)
    net = seeded(lambda: NeuralProgrammer(ModelConfig(vocab_size=len(vocab), d=8, T=2), vocab), 0).eval()
    original = net.forward

    def forced(batch, execute=True):
        out = original(batch, execute)
        B, T, O = out["op_logits"].shape
        ops = torch.zeros(B, T, O)
        ops[:, 0, OPS.index("greater")], ops[:, 0, OPS.index("reset")] = 9.0, 8.0
        ops[:, 1, OPS.index("print")], ops[:, 1, OPS.index("count")] = 9.0, 8.9
        cols = torch.zeros_like(out["col_logits"])
        cols[:, 0, 0] = 9.0  # step 1 reads slot 0: Gold, the first number column
        cols[:, 1, 15] = 9.0  # step 2 prints slot 15: Nation, the first word column
        out.update(op_logits=ops, op_probs=ops.softmax(-1), col_logits=cols, col_probs=cols.softmax(-1))
        return out

    net.forward = forced
    return net, vocab, example


def test_guided_decoding_answers_with_the_first_program_whose_answer_is_an_answer(forced_model):
    net, vocab, example = forced_model
    greedy = ask_table(net, vocab, COLUMNS, ROWS, QUESTION)
    assert [s["op"] for s in greedy["steps"]] == ["greater", "print"] and greedy["extra"]["denotation"] == []
    guided = ask_table(net, vocab, COLUMNS, ROWS, QUESTION, beam=8)
    candidates = guided["extra"]["candidates"]
    assert len(candidates) == 8 and guided["extra"]["beam"] == 8
    chosen = guided["extra"]["chosen"]
    assert all(c["rejected"] for c in candidates[:chosen]) and candidates[chosen]["rejected"] is None
    assert candidates[0]["rejected"] == REJECTIONS[1] and candidates[0]["program_text"] == greedy["program_text"]
    assert guided["program_text"] == candidates[chosen]["program_text"]
    assert guided["answer"]["text"] == candidates[chosen]["answer"] == "Cuba, Brazil, Chile, Peru"  # reset → print
    assert guided["steps"][0]["rows_hard"] == [1.0, 1.0, 1.0, 1.0]  # the chosen program's rows, not the first's
    probabilities = [c["probability"] for c in candidates]
    assert probabilities == sorted(probabilities, reverse=True)
    # answer_all with the same beam gives the same choice
    answer = answer_all(net, vocab, [example], beam=8)[0]
    assert answer["chosen"] == chosen and [step["op"] for step in answer["program"]] == ["reset", "print"]


def test_each_rejection_reason():
    rows = [["a", ""], ["b", None]]
    assert rejection(rows, {"kind": "none"}) == REJECTIONS[0]
    assert rejection(rows, {"kind": "cells", "cells": []}) == REJECTIONS[1]
    assert rejection(rows, {"kind": "scalar", "value": 0.0}) == REJECTIONS[2]
    assert rejection(rows, {"kind": "cells", "cells": [[0, 1], [1, 1]]}) == REJECTIONS[3]
    assert rejection(rows, {"kind": "cells", "cells": [[0, 0], [0, 1]]}) is None
    assert rejection(rows, {"kind": "scalar", "value": 2.0}) is None


def test_beam_on_the_command_line(tmp_path, capsys):
    example = from_table(COLUMNS, ROWS, QUESTION)
    vocab = build_vocab([example], 1)
    net = seeded(lambda: NeuralProgrammer(ModelConfig(vocab_size=len(vocab), d=8), vocab), 0).eval()
    ckpt = save_checkpoint(tmp_path / "m.safetensors", net, vocab)
    table = tmp_path / "t.csv"
    table.write_text("Nation,Gold\n" + "\n".join(f"{n},{g}" for n, g in ROWS) + "\n")
    assert main(["ask", "--checkpoint", str(ckpt), "--table", str(table), "--beam", "4", "--json", QUESTION]) == 0
    trace = json.loads(capsys.readouterr().out)
    assert len(trace["extra"]["candidates"]) == 4
    assert main(["ask", "--checkpoint", str(ckpt), "--table", str(table), "--beam", "4", QUESTION]) == 0
    assert "programs considered" in capsys.readouterr().out
    # the 2016 model has no beam: a usage error, not a silent no-op
    assert main(["ask", "--table", str(table), "--beam", "4", "sum Gold"]) == 2
    assert "--beam is for the 2017 model" in capsys.readouterr().err
