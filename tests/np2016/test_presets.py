"""Presets as files (engine/np2016/presets/), the paper's data style, the validation split and the learned
text_match (spec §2.9): each preset trains, its values round-trip through a checkpoint, model selection never
reads the test distribution, and the two-stage text match equals a hand computation."""

import numpy as np
import pytest
import torch

from engine.cli import main as cli
from engine.core.vocab import Vocab, split_question
from engine.np2016 import presets
from engine.np2016 import train as train_module
from engine.np2016.batch import encode
from engine.np2016.checkpoint import load_checkpoint, read_checkpoint_info, to_bytes
from engine.np2016.config import ModelConfig, TrainConfig
from engine.np2016.data import tasks as data
from engine.np2016.model import NeuralProgrammer

FEW = dict(steps=4, train_size=200, eval_size=20, test_size=20, eval_every=2, threads=1)


@pytest.mark.parametrize("preset", presets.NAMES)
@pytest.mark.parametrize("task", ["single-column", "text-2"])
def test_each_preset_loads_and_trains_a_few_steps(preset, task):
    p = presets.PRESETS[preset]
    assert p.description and p.description.endswith(".")
    cfg = presets.train_config(preset, task, **FEW)
    vocab = Vocab(data.vocabulary(task))
    model_cfg = presets.model_config(preset, task, len(vocab))
    result = train_module.train(cfg, model_cfg)
    s = result.summary
    assert s["steps_run"] == 4 and s["preset"] == preset and s["train_config"]["preset"] == preset
    assert 0 <= s["valid_accuracy"] <= 1 and 0 <= s["test_accuracy"] <= 1


def test_paper2016_is_the_paper_and_default_is_the_config_defaults():
    cfg = presets.train_config("paper2016", "columns-10")
    model = presets.model_config("paper2016", "columns-10", 40)
    assert (cfg.lr, cfg.noise_eta, cfg.grad_noise, cfg.search_samples, cfg.search_memory) == (1e-3, 1.0, True, 0, 0)
    assert cfg.adam_eps in (1e-6, 1e-8) and cfg.clip in (1.0, 5.0, 50.0)  # the paper's grids (spec §6.1)
    assert cfg.huber_delta in (10.0, 25.0, 50.0) and cfg.lookup_weight in (25.0, 50.0, 75.0, 100.0)
    assert not (cfg.balanced_lookup or cfg.shuffle_letters or cfg.ordered_pivots or cfg.lone_column_name)
    assert cfg.name_dropout == 0 and cfg.soft_loss
    assert (model.d, model.init_scale, model.name_match, model.step_embedding, model.text_match) == (
        256, 0.1, False, False, "learned")
    assert model.bidirectional and model.question_attention  # 10 columns: both, as the paper
    single = presets.model_config("paper2016", "single-column", 40)
    assert not single.bidirectional and not single.question_attention
    assert presets.model_config("paper2016", "columns-5", 40).bidirectional
    assert not presets.model_config("paper2016", "columns-5", 40).question_attention
    # the default preset is the config's own defaults: nothing said twice
    assert presets.train_config("default", "single-column") == TrainConfig()
    with pytest.raises(ValueError, match="unknown preset 'nope'"):
        presets.get("nope")
    with pytest.raises(ValueError, match="lr must be"):
        presets.train_config("paper2016", "single-column", lr=-1.0)


def test_preset_values_round_trip_through_a_checkpoint():
    cfg = presets.train_config("paper2016", "text-2", **FEW)
    vocab = Vocab(data.vocabulary("text-2"))
    result = train_module.train(cfg, presets.model_config("paper2016", "text-2", len(vocab), d=16))
    model, _, info = load_checkpoint(to_bytes(result.model, result.vocab, result.summary))
    assert TrainConfig.from_dict(info["summary"]["train_config"]) == cfg
    assert ModelConfig.from_dict(info["config"]) == result.model.config
    assert model.config.text_match == "learned" and info["summary"]["preset"] == "paper2016"


def test_cli_trains_the_paper_preset_and_a_flag_overrides_it(tmp_path, capsys):
    out = tmp_path / "p.safetensors"
    code = cli.main(["train", "--task", "single-column", "--preset", "paper2016", "--steps", "3", "--train-size",
                     "100", "--eval-size", "10", "--test-size", "10", "--lr", "0.002", "--output", str(out)])
    assert code == 0, capsys.readouterr()
    info = read_checkpoint_info(out)
    tc = info["summary"]["train_config"]
    assert info["preset"] == "paper2016" and info["d"] == 256
    assert tc["lr"] == 0.002 and tc["noise_eta"] == 1.0 and tc["search_samples"] == 0  # flag over preset
    assert "from preset paper2016" in capsys.readouterr().out


# ----------------------------------------------------------------------------- the validation split

@pytest.mark.parametrize("task", ["names-5", "columns-5", "text-5", "words-1"])
def test_the_validation_split_never_overlaps_the_test_pools(task):
    valid = data.generate(task, "valid", 300, 7)
    train = data.generate(task, "train", 300, 7)
    test = data.generate(task, "test", 300, 7)
    train_rows = {(len(ex["rows"]), tuple(ex["rows"][0])) for ex in train}
    lim = data.SPLITS["train"].value_range
    for ex in valid:
        assert 30 <= len(ex["rows"]) <= 100  # training row counts, never the test's 120
        cells = np.asarray([v for r in ex["rows"] for v in r if isinstance(v, float)])
        assert np.abs(cells).max() <= lim
        assert all(abs(x) <= lim for x in split_question(ex["question"], ex["columns"]).numbers)
        assert (len(ex["rows"]), tuple(ex["rows"][0])) not in train_rows  # fresh tables
        if task == "names-5":
            assert set(ex["columns"]) <= set(data.TRAIN_NAMES)
            assert not set(ex["columns"]) & set(data.HELDOUT_NAMES)
    test_shape = (data.TASKS[task].max_columns + data.TASKS[task].text_columns)
    # training column sets, not only the test's
    assert test_shape == 1 or any(len(ex["columns"]) < test_shape for ex in valid)
    assert all(len(ex["rows"]) == 120 for ex in test)


def test_training_selects_on_validation_and_reads_the_test_split_once_at_the_end(monkeypatch):
    calls = []
    real = data.generate

    def spy(task, split, n, seed, **kw):
        calls.append(split)
        return real(task, split, n, seed, **kw)

    monkeypatch.setattr(data, "generate", spy)
    stage = []

    class Watch(train_module.Progress):
        def on_step(self, step, model):
            stage.append(list(calls))

    size = len(Vocab(data.vocabulary("single-column")))
    train_module.train(presets.train_config("default", "single-column", **FEW),
                       presets.model_config("default", "single-column", size, d=8), progress=Watch())
    assert all("test" not in seen for seen in stage)  # nothing read the test split while training
    assert calls == ["train", "valid", "test"]


# ----------------------------------------------------------------------------- the data style

def test_paper_style_writes_one_column_questions_without_the_name_and_draws_pivots_independently():
    paper = data.Style(shuffle_letters=False, ordered_pivots=False, lone_column_name=False)
    for ex in data.generate("single-column", "train", 200, 0, style=paper):
        assert "A" not in ex["question"].split()
    intervals = [ex for ex in data.generate("single-column", "train", 3000, 0, style=paper)
                 if ex["program"].startswith("greater [n1] A and lesser")]
    pivots = [split_question(ex["canonical_question"]).numbers for ex in intervals]
    assert any(g >= lo for g, lo in pivots) and any(g < lo for g, lo in pivots)  # independent draws
    ordered = [ex for ex in data.generate("single-column", "train", 3000, 0)
               if ex["program"].startswith("greater [n1] A and lesser")]
    assert all(g < lo for g, lo in (split_question(ex["canonical_question"]).numbers for ex in ordered))
    # the test distribution is the same whatever the style
    assert [e["answer"] for e in data.generate("single-column", "test", 50, 3, style=paper)] == \
        [e["answer"] for e in data.generate("single-column", "test", 50, 3)]
    letters = {tuple(ex["columns"]) for ex in data.generate("columns-3", "train", 300, 0, style=paper)}
    assert letters <= {("A",), ("A", "B"), ("A", "B", "C")}


def test_a_one_column_question_reads_alike_with_or_without_the_columns_name():
    vocab = Vocab(data.vocabulary("single-column"))
    table = {"columns": ["sales"], "rows": [[1.0], [5.0], [70.0]]}
    named = encode([{**table, "question": "greater 2 sales count"}], vocab)
    bare = encode([{**table, "question": "greater 2 count"}], vocab)
    assert torch.equal(named.question_ids, bare.question_ids) and torch.equal(named.number_left, bare.number_left)
    assert split_question("sales", ["sales"]).words == ["sales"]  # a name alone is kept
    assert split_question("sum A", ["A", "B"]).words == ["sum", "a"]  # two columns: names matter


# ----------------------------------------------------------------------------- learned text_match

def test_learned_text_match_equals_a_hand_computation():
    """Spec §2.9 on a 3-row table with one text and one numeric column, every number by hand."""
    torch.manual_seed(0)
    vocab = Vocab(["word:0", "word:1", "sum", "a", "b"])
    model = NeuralProgrammer(ModelConfig(vocab_size=len(vocab), d=4, ops=("sum", "reset", "text_match"),
                                         text_match="learned", name_match=False, init_scale=0.5))
    ex = {"columns": ["A", "B"], "rows": [["word:0", 1.0], ["word:1", 2.0], ["word:0", 3.0]],
          "question": "word:0 A sum B"}
    batch = encode([ex], vocab, exact=False)
    with torch.no_grad():
        q, _states, Z, qmask = model.encode_question(batch)
        P = model.column_vectors(batch)
        got = model.learned_text_match(batch, q, Z, qmask, P)[0]  # (M, C)
        V = model.embed.weight
        q0, z = q[0], Z[0]  # (d,), (Q, d)
        A = [V[vocab.id(r[0])] for r in ex["rows"]]  # the text column's cell embeddings
        b = [torch.sigmoid(a @ q0) for a in A]
        D = sum(bm * a for bm, a in zip(b, A, strict=True)) / 3
        E = D + P[0, 0]
        att = torch.softmax(z @ E, 0)
        G = (att[:, None] * z).sum(0)
        want = torch.stack([torch.sigmoid(a @ G) for a in A])
    assert torch.allclose(got[:, 0], want, atol=1e-6)
    assert torch.all(got[:, 1] == 0)  # the numeric column is never a text match
    # answering thresholds it into whole rows
    with torch.no_grad():
        hard = model(encode([ex], vocab), hard=True)["cell_selections"]["text_match"][0]
    assert torch.equal(hard[:, 0], (want > 0.5).double())
