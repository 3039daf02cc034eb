"""benchmarks/wtq_ablation.py on the attributed fixture tables with two small checkpoints and their ensemble: the
rows' figures are those of a plain scoring, the record's "best" and "last five" are read from the run's evaluations,
and the levers a run used are named."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from benchmarks import wtq_ablation
from engine.core.io.examples import read_jsonl
from engine.core.seeded_init import seeded
from engine.wtq2017.batch import build_vocab
from engine.wtq2017.checkpoint import load_checkpoint, save_checkpoint
from engine.wtq2017.config import ModelConfig
from engine.wtq2017.dataset.convert import convert_file
from engine.wtq2017.ensemble import write_ensemble
from engine.wtq2017.model import NeuralProgrammer
from engine.wtq2017.predict import answer_all, score

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = ROOT / "tests" / "fixtures" / "wtq"


def test_the_ablation_rows(tmp_path, capsys):
    dev = tmp_path / "dev.jsonl"
    convert_file(FIXTURE / "data" / "sample.tsv", FIXTURE, dev, purpose="eval")
    examples = read_jsonl(dev)
    vocab = build_vocab(examples, 1)
    paths = []
    for seed, (settings, train) in enumerate([({}, {}), ({"match_count": "matched"}, {"search_weight": 1.0})]):
        cfg = ModelConfig(d=16, vocab_size=len(vocab), **settings)
        model = seeded(lambda cfg=cfg: NeuralProgrammer(cfg, vocab), seed)
        evals = [{"step": 100 * k, "dev_accuracy": a} for k, a in enumerate([0.1, 0.3, 0.2, 0.2, 0.2, 0.2, 0.1], 1)]
        summary = {"evals": evals, "model_config": cfg.to_dict(), "train_config": {"seed": seed, **train},
                   "steps_run": 700, "seconds": 120}
        paths.append(save_checkpoint(tmp_path / f"m{seed}.safetensors", model, vocab, summary))
    ensemble = write_ensemble(tmp_path / "both.json", paths)
    assert wtq_ablation.main(["--dev", str(dev), "--run", f"paper={paths[0]}", "--run", f"search={paths[1]}",
                              "--run", f"both={ensemble}", "--beam", "4", "--print"]) == 0
    text = capsys.readouterr().out
    rows = [line for line in text.splitlines() if line.startswith("| paper") or line.startswith("| search")
            or line.startswith("| both")]
    assert len(rows) == 3
    assert "none (the 2017 paper's recipe)" in rows[0] and "search × 1, match count: matched" in rows[1]
    assert "| 30.0 | 18.0 |" in rows[0]  # best eval, mean of the last five (0.2, 0.2, 0.2, 0.2, 0.1)
    assert " / " in rows[2]  # an ensemble lists its members
    model, vocab, _ = load_checkpoint(paths[0])
    expected = score(examples, answer_all(model, vocab, examples))["accuracy"]
    assert f"**{100 * expected:.1f}**" in rows[0]


def test_a_run_without_a_label_is_a_usage_error(tmp_path):
    with pytest.raises(SystemExit):
        wtq_ablation.main(["--dev", str(tmp_path / "d.jsonl"), "--run", "no-equals-sign"])


def test_a_row_answered_with_other_matching(tmp_path, capsys):
    dev = tmp_path / "dev.jsonl"
    convert_file(FIXTURE / "data" / "sample.tsv", FIXTURE, dev, purpose="eval")
    examples = read_jsonl(dev)
    vocab = build_vocab(examples, 1)
    cfg = ModelConfig(d=16, vocab_size=len(vocab))
    model = seeded(lambda: NeuralProgrammer(cfg, vocab), 0)
    path = save_checkpoint(tmp_path / "m.safetensors", model, vocab, {"model_config": cfg.to_dict()})
    assert wtq_ablation.main(["--dev", str(dev), "--run", f"matched={path}@cell_text=normalised,dates=value",
                              "--beam", "2", "--print"]) == 0
    text = capsys.readouterr().out
    row = next(line for line in text.splitlines() if line.startswith("| matched"))
    assert "answered with cell_text normalised (not trained with it)" in row and "@cell_text=normalised" in text
    model.config = dataclasses.replace(cfg, cell_text="normalised", dates="value")
    expected = score(examples, answer_all(model, vocab, examples))["accuracy"]
    assert f"**{100 * expected:.1f}**" in row
    for bad in ("@cell_text=bogus", "@d=4", "@nothing"):
        with pytest.raises(SystemExit):
            wtq_ablation.main(["--dev", str(dev), "--run", f"bad={path}{bad}", "--print"])
