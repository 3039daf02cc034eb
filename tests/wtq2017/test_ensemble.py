"""Ensembles of 2017 models (engine/wtq2017/ensemble.py): an ensemble of one is the model; two average their
per-step probabilities (against a plain mean) and decode from the averages; the ensemble file is checked (schema,
members' sha256, shared reading of questions); the command line writes one and answers with it."""

from __future__ import annotations

import json

import pytest
import torch

from engine.cli.main import main
from engine.core.safetensors_reader import CheckpointError
from engine.core.seeded_init import seeded
from engine.families import WTQ2017, family_id
from engine.wtq2017.batch import build_vocab, encode_batch
from engine.wtq2017.checkpoint import save_checkpoint
from engine.wtq2017.config import ModelConfig
from engine.wtq2017.ensemble import Ensemble, is_ensemble_file, load_model, read_ensemble, write_ensemble
from engine.wtq2017.model import NeuralProgrammer
from engine.wtq2017.predict import answer_all, from_table
from engine.wtq2017.trace import trace

COLUMNS = ["Year", "Team", "Sales"]
ROWS = [[2019, "Reds", 120], [2020, "Blues", 90], [2021, "Reds", 150], [2022, "Greens", 60]]
QUESTIONS = ["which year had the most sales?", "how many years had sales more than 100?",
             "what was the team in 2020?", "which team came last?"]


def examples():
    return [from_table(COLUMNS, ROWS, q, [t]) for q, t in zip(QUESTIONS, ["2021", "2", "Blues", "Greens"],
                                                              strict=True)]


def member(seed: int, **settings):
    exs = examples()
    vocab = build_vocab(exs, 1)
    cfg = ModelConfig(**{"d": 16, "number_columns": 2, "word_columns": 2, **settings, "vocab_size": len(vocab)})
    return seeded(lambda: NeuralProgrammer(cfg, vocab), seed).eval(), vocab


def test_an_ensemble_of_one_is_the_model():
    model, vocab = member(0)
    exs = examples()
    one = Ensemble([model]).eval()
    batch = encode_batch(exs, vocab, model.config)
    with torch.no_grad():
        a, b = model(batch), one(batch)
    for key in ("op_probs", "col_probs", "pivot_probs", "rows", "scalar"):
        assert torch.allclose(a[key], b[key], atol=1e-6), key
    for beam in (0, 4):
        assert ([x["program"] for x in answer_all(model, vocab, exs, beam=beam)]
                == [x["program"] for x in answer_all(one, vocab, exs, beam=beam)])
    assert trace(one, vocab, exs[0])["extra"]["ensemble"]["agree"] == 1.0


def test_two_members_average_their_probabilities_and_decode_from_the_average():
    (m1, vocab), (m2, _) = member(1), member(2, d=24, column_name="mean", match_count="matched")
    batch = encode_batch(examples(), vocab, m1.config)
    with torch.no_grad():
        o1, o2, both = m1(batch), m2(batch), Ensemble([m1, m2]).eval()(batch)
    for key in ("op_probs", "col_probs", "pivot_probs"):
        assert torch.allclose(both[key], (o1[key] + o2[key]) / 2, atol=1e-6), key
    assert torch.equal(both["op_logits"].argmax(-1), ((o1["op_probs"] + o2["op_probs"]) / 2).argmax(-1))
    agree = trace(Ensemble([m1, m2]), vocab, examples()[0])["extra"]["ensemble"]
    assert agree["agree"] in (0.0, 0.5, 1.0) and len(agree["members"]) == 2


def test_members_that_read_questions_differently_are_refused():
    with pytest.raises(ValueError, match="T"):
        Ensemble([member(0)[0], member(1, T=3)[0]])
    with pytest.raises(ValueError, match="1 to"):
        Ensemble([])


def test_the_ensemble_file_checks_its_members(tmp_path):
    paths = []
    for seed in (0, 1):
        model, vocab = member(seed)
        paths.append(save_checkpoint(tmp_path / f"m{seed}.safetensors", model, vocab))
    ens = write_ensemble(tmp_path / "e.json", paths)
    assert read_ensemble(ens) == paths and family_id(str(ens)) == WTQ2017
    model, vocab, info = load_model(ens)
    assert isinstance(model, Ensemble) and len(info["members"]) == 2
    doc = json.loads(ens.read_text())
    assert doc["members"][0]["path"] == "m0.safetensors"  # relative: the folder can move
    other, other_vocab = member(5)
    save_checkpoint(paths[1], other, other_vocab)  # the member changed under the file
    with pytest.raises(CheckpointError, match="sha256"):
        load_model(ens)
    (tmp_path / "bad.json").write_text(json.dumps({"schema": "np-explorer-wtq-ensemble/1", "members": "x"}))
    with pytest.raises(CheckpointError, match="not an ensemble file"):
        read_ensemble(tmp_path / "bad.json")
    (tmp_path / "gone.json").write_text(json.dumps({"schema": "np-explorer-wtq-ensemble/1",
                                                    "members": [{"path": "nope.safetensors", "sha256": "0"}]}))
    with pytest.raises(CheckpointError, match="does not exist"):
        read_ensemble(tmp_path / "gone.json")


def test_the_command_line_writes_an_ensemble_and_answers_with_it(tmp_path, capsys):
    paths = []
    for seed in (0, 1):
        model, vocab = member(seed)
        paths.append(str(save_checkpoint(tmp_path / f"m{seed}.safetensors", model, vocab)))
    ens = tmp_path / "e.json"
    assert main(["ensemble", *paths, "--output", str(ens)]) == 0
    table = tmp_path / "t.csv"
    table.write_text("Year,Team,Sales\n" + "".join(",".join(map(str, r)) + "\n" for r in ROWS))
    capsys.readouterr()
    assert main(["ask", "--checkpoint", str(ens), "--table", str(table), "--json", "--beam", "4",
                 "which", "year", "had", "the", "most", "sales?"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["family"] == "wtq2017" and len(result["extra"]["ensemble"]["members"]) == 2
    data = tmp_path / "d.jsonl"
    data.write_text("".join(json.dumps(ex) + "\n" for ex in examples()))
    assert main(["evaluate", "--checkpoint", str(ens), "--input", str(data)]) == 0
    assert "accuracy:" in capsys.readouterr().out
    t0, t1 = member(0), member(1, T=3)
    bad = [str(save_checkpoint(tmp_path / "a.safetensors", *t0)), str(save_checkpoint(tmp_path / "b.safetensors", *t1))]
    assert main(["ensemble", *bad, "--output", str(tmp_path / "no.json")]) == 1
    assert "reads questions differently" in capsys.readouterr().err and not (tmp_path / "no.json").exists()
    other = member(1, cell_text="normalised")  # matched otherwise: the members could not share one encoding
    bad[1] = str(save_checkpoint(tmp_path / "c.safetensors", *other))
    assert main(["ensemble", *bad, "--output", str(tmp_path / "no.json")]) == 1
    assert "cell_text" in capsys.readouterr().err and not (tmp_path / "no.json").exists()


def test_members_with_different_languages_answer_in_the_widest():
    (paper, vocab), (wide, _) = member(1), member(2, ops="extended")
    both = Ensemble([paper, wide]).eval()
    assert both.config.ops == "extended"
    batch = encode_batch(examples(), vocab, paper.config)
    with torch.no_grad():
        o1, o2, out = paper(batch), wide(batch), both(batch)
    assert out["op_probs"].shape[-1] == 20
    assert torch.allclose(out["op_probs"][..., :15], (o1["op_probs"] + o2["op_probs"][..., :15]) / 2, atol=1e-6)
    assert torch.allclose(out["op_probs"][..., 15:], o2["op_probs"][..., 15:] / 2, atol=1e-6)
    assert trace(both, vocab, examples()[0], beam=4)["ops"][-1] == "and"


def test_a_fifo_or_an_oversized_file_is_refused_without_blocking(tmp_path):
    import os

    fifo = tmp_path / "pipe.json"
    os.mkfifo(fifo)
    assert not is_ensemble_file(fifo) and family_id(str(fifo)) != WTQ2017  # asked without opening it for reading
    big = tmp_path / "big.json"
    big.write_text('{"schema": "np-explorer-wtq-ensemble/1", "members": []}' + " " * 70_000)
    with pytest.raises(CheckpointError, match="over 64 KB"):
        read_ensemble(big)
