"""Tests of the LSTM baselines (engine/baselines/): the simplified task, the models, training, checkpoints."""

import json
import re
import struct
from collections import Counter

import pandas as pd
import pytest
import torch

from engine import baselines as B
from engine.baselines import models
from engine.baselines import task as bd
from engine.np2016.checkpoint import CheckpointError
from engine.np2016.data import tasks as data

torch.set_num_threads(1)
FILTER = r"(greater|lesser) (-?\d+) A"
QUESTION = re.compile(rf"(?:{FILTER}(?: (and|or) {FILTER})? )?(count|sum A)")
TINY = {"seq2seq": B.Seq2SeqConfig(emb=8, hidden=12, layers=3),
        "attention": B.AttentionConfig(emb=8, hidden=10, heads=5)}


def pandas_answer(ex: dict) -> float:
    df = pd.DataFrame(ex["rows"], columns=ex["columns"])
    q = ex["question"]
    if q == "sum A diff count":
        return float(df["A"].sum() - len(df))
    if q == "count diff sum A":
        return float(len(df) - df["A"].sum())
    m = QUESTION.fullmatch(q)
    assert m, q

    def cond(op, n):
        return df["A"] > int(n) if op == "greater" else df["A"] < int(n)

    mask = pd.Series(True, index=df.index)
    if m[1]:
        mask = cond(m[1], m[2])
        if m[3]:
            mask = mask & cond(m[4], m[5]) if m[3] == "and" else mask | cond(m[4], m[5])
    return float(mask.sum()) if m[6] == "count" else float(df.loc[mask, "A"].sum())


@pytest.mark.parametrize("scale", [1, 5])
def test_generator_matches_pandas(scale):
    examples = bd.generate(2000, seed=3, scale=scale)
    lim = 10 * scale
    for ex in examples:
        assert ex["columns"] == ["A"] and 4 <= len(ex["rows"]) <= 7
        assert all(isinstance(r[0], int) and -lim <= r[0] <= lim for r in ex["rows"])
        assert all(-lim <= int(n) <= lim for n in re.findall(r"-?\d+", ex["question"]))
        assert ex["answer"]["scalar"] == pandas_answer(ex), ex
        assert data.reference_answer(ex["columns"], ex["rows"], ex["question"]) == ex["answer"]
        assert ex["program"] in bd.ALL_TEMPLATES
        assert json.loads(json.dumps(ex)) == ex
    programs = Counter(ex["program"] for ex in examples)
    assert len(bd.ALL_TEMPLATES) == 16 and set(programs) == set(bd.ALL_TEMPLATES)
    assert not any("print" in t for t in programs)
    # category uniform, then template uniform: "sum A" (1/8) is far more common than a logic template (1/32)
    assert programs["sum A"] > 1.5 * programs["greater [n1] A or lesser [n2] A count"]
    assert bd.generate(5, seed=3, scale=scale) == examples[:5]
    values = {r[0] for ex in examples for r in ex["rows"]}
    assert min(values) == -lim and max(values) == lim


def test_tokens():
    toks = bd.input_tokens([3, -12], "greater -7 A sum A", table_first=True)
    assert toks == ["[T]", "3", "|", "-", "1", "2", "[Q]", "greater", "-", "7", "a", "sum", "a"]
    toks2 = bd.input_tokens([3, -12], "count", table_first=False)
    assert toks2 == ["[Q]", "count", "[T]", "3", "|", "-", "1", "2"]
    with pytest.raises(KeyError):
        bd.input_tokens([1], "print A", table_first=True)
    ids, lengths = bd.encode_inputs([toks, toks[:4]])
    assert ids.shape == (2, len(toks)) and lengths.tolist() == [len(toks), 4] and ids[1, 4:].eq(0).all()
    tgt = bd.encode_targets(["-12", "7"])
    assert tgt.tolist() == [[bd.BOS, bd.OUT_ID["-"], bd.OUT_ID["1"], bd.OUT_ID["2"], bd.EOS],
                            [bd.BOS, bd.OUT_ID["7"], bd.EOS, 0, 0]]


@pytest.mark.parametrize("kind,config", [
    ("seq2seq", B.Seq2SeqConfig(hidden=16, table_first=True)),
    ("seq2seq", B.Seq2SeqConfig(hidden=16, layers=1)),
    ("attention", B.AttentionConfig(hidden=20, heads=1)),
    ("attention", B.AttentionConfig(hidden=20, heads=5, table_first=True)),
    ("attention", B.AttentionConfig(hidden=20, heads=10, layers=2)),
])
def test_forward_and_decode_shapes(kind, config):
    torch.manual_seed(0)
    model = B.build(kind, config)
    examples = bd.generate(6, seed=1)
    ids, lengths = models.model_inputs(model, examples)
    tgt = bd.encode_targets([bd.answer_text(ex) for ex in examples])
    logits = model(ids, lengths, tgt[:, :-1])
    assert logits.shape == (6, tgt.shape[1] - 1, len(bd.OUT_TOKENS))
    texts = model.decode(ids, lengths)
    assert len(texts) == 6 and all(t is None or len(t) <= models.MAX_OUT_LEN for t in texts)
    # padding does not change an example's decoding: alone or batched with a longer one
    alone = model.decode(*models.model_inputs(model, examples[:1]))
    assert alone[0] == texts[0]
    assert 0.0 <= B.evaluate_baseline(model, examples) <= 1.0


def test_save_load_round_trip_and_rejections(tmp_path):
    torch.manual_seed(0)
    model = B.build("attention", B.AttentionConfig(hidden=20, heads=10, table_first=True))
    path = B.save_baseline(tmp_path / "att.safetensors", model, {"val_accuracy": 0.5})
    loaded = B.load_baseline(path)
    assert isinstance(loaded, B.AttentionLSTM) and loaded.config == model.config
    assert loaded.info["val_accuracy"] == 0.5 and not loaded.training
    examples = bd.generate(20, seed=2)
    ids, lengths = models.model_inputs(model, examples)
    assert loaded.decode(ids, lengths) == model.decode(ids, lengths)
    assert B.load_baseline(path.read_bytes()).config == model.config

    raw = path.read_bytes()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])

    def with_header(h):
        body = json.dumps(h).encode()
        return struct.pack("<Q", len(body)) + body + raw[8 + n:]

    bad_config = json.loads(json.dumps(header))
    bad_config["__metadata__"]["config"] = json.dumps({"emb": 8, "hidden": 20, "heads": 3})
    bad_kind = json.loads(json.dumps(header))
    bad_kind["__metadata__"]["kind"] = "transformer"
    bad_schema = json.loads(json.dumps(header))
    bad_schema["__metadata__"]["schema"] = "np-explorer/1"
    bad_shape = json.loads(json.dumps(header))
    bad_shape["__metadata__"]["config"] = json.dumps({"emb": 32, "hidden": 20, "layers": 1, "heads": 10,
                                                      "table_first": True})
    nan = {k: v.clone() for k, v in model.state_dict().items()}
    nan["out.bias"][0] = float("nan")
    from safetensors.torch import save
    nan_raw = save(nan, metadata=header["__metadata__"])
    for corrupt in [raw[:100], raw[:-16], b"not a checkpoint at all", with_header(bad_config),
                    with_header(bad_kind), with_header(bad_schema), with_header(bad_shape), nan_raw]:
        with pytest.raises(CheckpointError):
            B.load_baseline(corrupt)
    missing = json.loads(json.dumps(header))
    missing["__metadata__"]["config"] = json.dumps({"emb": 8, "hidden": 20, "heads": 10, "table_first": True})
    with pytest.raises(CheckpointError, match=r"lacks \['layers'\]"):  # before: took the default
        B.load_baseline(with_header(missing))
    nested = json.dumps(header).encode()[:-1] + b', "x": ' + b"[" * 50_000 + b"]" * 50_000 + b"}"
    with pytest.raises(CheckpointError, match="nests 50001 levels deep"):  # before: RecursionError
        B.load_baseline(struct.pack("<Q", len(nested)) + nested + raw[8 + n:])
    (tmp_path / "bad.safetensors").write_bytes(raw[:-16])
    with pytest.raises(CheckpointError):
        B.load_baseline(tmp_path / "bad.safetensors")
    with pytest.raises(CheckpointError):
        B.load_baseline(tmp_path / "missing.safetensors")


def test_answer_reads_only_what_it_can():
    torch.manual_seed(0)
    model = B.build("seq2seq", TINY["seq2seq"])
    rows = [[1], [2], [3], [4]]
    out = model.answer(["A"], rows, "greater 2 A sum A")
    assert out is None or (isinstance(out, float) and out == int(out))
    assert model.answer(["A"], [[1]] * 8, "sum A") is None  # more than 7 rows
    assert model.answer(["A"], [[1]] * 3, "sum A") is None  # fewer than 4 rows
    assert model.answer(["A"], [[1.5], [2], [3], [4]], "sum A") is None  # non-integer cell
    assert model.answer(["A"], [["x"], [2], [3], [4]], "sum A") is None  # text cell
    assert model.answer(["A", "B"], [[1, 2]] * 4, "sum A") is None  # two columns
    assert model.answer(["A"], rows, "print A") is None  # not a scalar question
    assert model.answer(["A"], rows, "greater 2.5 A count") is None  # non-integer pivot
    assert bd.normalise_question("Sales", "bigger than 3 sales total of Sales?") == "greater 3 A sum A"
    assert bd.normalise_question("A", "sum A difference count") == "sum A diff count"
    assert bd.normalise_question("A", "how many") == "count"
    assert bd.normalise_question("A", "what is the sum") is None


def test_short_training_beats_chance():
    """10-20 s: a small attention baseline learns beyond the most frequent answer ("0", ~15%; it reaches
    ~27% after 300 steps)."""
    examples = bd.generate(1000, seed=11)
    chance = Counter(bd.answer_text(ex) for ex in examples).most_common(1)[0][1] / len(examples)
    model, info = B.train_baseline("attention", B.AttentionConfig(emb=32, hidden=40, heads=5), steps=300,
                                   seed=0, eval_every=100, eval_size=300, lr=1e-2)
    acc = B.evaluate_baseline(model, examples)
    assert info["steps_run"] == 300 and info["kind"] == "attention"
    assert acc > chance + 0.05, (acc, chance)
