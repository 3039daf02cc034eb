"""The 2017 model's trace (engine/wtq2017/trace.py) on real tables: consistent with the model's own answers, every
probability a distribution, the program in words from the one decoder, and `ask` on the command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from engine.cli.main import main
from engine.core.seeded_init import seeded
from engine.core.trace import problems
from engine.wtq2017.batch import build_vocab
from engine.wtq2017.checkpoint import save_checkpoint
from engine.wtq2017.config import ALL_OPS, OPS, ModelConfig
from engine.wtq2017.model import NeuralProgrammer
from engine.wtq2017.predict import answer_all, denotation
from engine.wtq2017.trace import OP_WORDS, ask_table, program_words, step_sentence, trace

FIXTURE = Path(__file__).parents[1] / "fixtures" / "wtq"


@pytest.fixture(scope="module")
def dev(wtq_fixture_examples) -> list[dict]:
    return wtq_fixture_examples


@pytest.fixture(scope="module", params=[0, 1, 2])
def model(request, dev):
    vocab = build_vocab(dev, 1)
    cfg = ModelConfig(vocab_size=len(vocab), d=16)
    return seeded(lambda: NeuralProgrammer(cfg, vocab), request.param).eval(), vocab


def test_trace_agrees_with_the_model_and_is_a_distribution(model, dev):
    net, vocab = model
    answers = answer_all(net, vocab, dev)
    for ex, answer in zip(dev, answers, strict=True):
        tr = trace(net, vocab, ex)
        assert tr["extra"]["program"] == answer["program"] and tr["extra"]["denotation"] == denotation(ex, answer)
        assert problems(tr) == [] and tr["family"] == "wtq2017"
        json.dumps(tr, allow_nan=False)  # one JSON object, no NaN
        assert len(tr["steps"]) == net.config.T and tr["ops"] == list(OPS)
        for step in tr["steps"]:
            assert sum(step["op_probs"]) == pytest.approx(1, abs=1e-3)
            assert step["op_probs"][OPS.index(step["op"])] == max(step["op_probs"])  # (rounded: ties)
            shown = [p for p in step["col_probs"] if p is not None]
            assert sum(shown) == pytest.approx(1, abs=1e-3)
            assert [p is not None for p in step["col_probs"]] == tr["extra"]["selectable"]
            attention = step["question_attention"]
            assert sum(attention) == pytest.approx(1, abs=1e-3) and len(attention) == len(tr["words"])
            assert len(step["rows_hard"]) == len(ex["rows"]) == len(step["rows_soft"])
            assert set(step["rows_hard"]) <= {0.0, 1.0}
            assert step["sentence"] == step_sentence({**step, "column": step["column_index"]}, ex["columns"])
        if answer["kind"] == "cells":  # printed cells: the rows selected before the last step, in its column
            before = tr["steps"][-2]["rows_hard"]
            col = tr["steps"][-1]["column_index"]
            assert answer["cells"] == [[r, col] for r, keep in enumerate(before) if keep]


def test_program_words_name_columns_and_pivots():
    columns = ["Nation", "Gold"]
    program = [{"op": "greater", "column": 1, "pivot": 3.0}, {"op": "argmax", "column": 1, "pivot": None},
               {"op": "reset", "column": None, "pivot": None}, {"op": "print", "column": 0, "pivot": None}]
    assert program_words(program, columns) == [
        "t1: select the rows where “Gold” > 3", "t2: of the selected rows, keep the one with the largest “Gold”",
        "t3: select every row again", "t4: print “Nation” of the selected rows"]
    assert set(OP_WORDS) == set(ALL_OPS)
    assert "no number" in step_sentence({"op": "leq", "column": 1, "pivot": None}, columns)


def test_trace_rows_follow_the_discrete_program_on_a_hand_table():
    """A model whose selections are forced to greater(Gold, 3) → count: the trace's rows and answer are the
    hand-computed ones."""
    columns, rows = ["Nation", "Gold"], [["Cuba", 5], ["Brazil", 2], ["Chile", 7], ["Peru", 3]]
    ex_vocab = build_vocab([ask_input(columns, rows)], 1)
    cfg = ModelConfig(vocab_size=len(ex_vocab), d=8, T=2)
    net = seeded(lambda: NeuralProgrammer(cfg, ex_vocab), 0).eval()
    force = {"greater": 0, "count": 1}
    original = net.forward

    def forced(batch, execute=True):
        out = original(batch, execute)
        B, T, O = out["op_logits"].shape
        logits = torch.full((B, T, O), -50.0)
        for op, t in force.items():
            logits[:, t, OPS.index(op)] = 50.0
        out["op_logits"], out["op_probs"] = logits, logits.softmax(-1)
        col = torch.full_like(out["col_logits"], -50.0)
        col[:, :, 0] = 50.0  # slot 0: the first number column, Gold
        out["col_logits"], out["col_probs"] = col, col.softmax(-1)
        return out

    net.forward = forced
    tr = ask_table(net, ex_vocab, columns, rows, "how many nations won more than 3 gold?")
    assert [s["op"] for s in tr["steps"]] == ["greater", "count"]
    assert tr["steps"][0]["rows_hard"] == [1.0, 0.0, 1.0, 0.0]  # 5 > 3, 2, 7 > 3, 3
    assert tr["extra"]["denotation"] == ["2"] and tr["answer"]["scalar"] == 2.0 and tr["steps"][0]["pivot"] == 3.0


def ask_input(columns, rows):
    from engine.wtq2017.predict import from_table

    return from_table(columns, rows, "how many nations won more than 3 gold?")


def test_cli_ask_with_a_2017_checkpoint(model, dev, tmp_path, capsys):
    net, vocab = model
    ckpt = save_checkpoint(tmp_path / "m.safetensors", net, vocab, {"preset": "test"})
    table = tmp_path / "t.csv"
    table.write_text("Team,Wins\nGreystones,1\nConfey,3\n")
    assert main(["ask", "--checkpoint", str(ckpt), "--table", str(table), "who", "won", "most?"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("answer: ") and "t4: " in out
    assert main(["ask", "--checkpoint", str(ckpt), "--table", str(table), "--json", "who", "won", "most?"]) == 0
    tr = json.loads(capsys.readouterr().out)
    assert tr == json.loads(json.dumps(ask_table(net, vocab, ["Team", "Wins"], [["Greystones", 1], ["Confey", 3]],
                                                 "who won most?")))
