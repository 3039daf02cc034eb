"""The command line (engine/cli.py): a subprocess smoke test of every subcommand, and its error handling."""

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from engine import cli
from engine import train as train_module
from engine.batch import encode
from engine.checkpoint import load_checkpoint
from engine.trace import trace

ROOT = Path(__file__).resolve().parent.parent
TINY = ["--steps", "30", "--train-size", "500", "--eval-size", "50", "--d", "16", "--eval-every", "10",
        "--threads", "1"]


def run_cli(*args, cwd):
    env = dict(os.environ, PYTHONPATH=str(ROOT), OMP_NUM_THREADS="1")
    return subprocess.run([sys.executable, "-m", "engine", *map(str, args)], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120)


def ok(result):
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    return result


def fails(result, *words):
    assert result.returncode != 0
    assert "Traceback" not in result.stderr, result.stderr
    assert "error:" in result.stderr
    for w in words:
        assert w in result.stderr, result.stderr
    return result


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory):
    """generate -> train -> evaluate -> predict -> ask, each a real `python -m engine` process."""
    d = tmp_path_factory.mktemp("cli")
    r = ok(run_cli("generate", "--task", "single-column", "--split", "test", "--n", 40, "--seed", 1,
                   "--output", "test.jsonl", cwd=d))
    assert "40" in r.stdout
    r = ok(run_cli("train", "--task", "single-column", *TINY, "--output", "m.safetensors", cwd=d))
    assert "best eval accuracy" in r.stdout and "m.safetensors" in r.stdout
    assert "step" in r.stderr and "loss=" in r.stderr  # the tqdm bar with the running loss
    ckpt = ["--checkpoint", "m.safetensors"]
    evaluate = ok(run_cli("evaluate", *ckpt, "--input", "test.jsonl", "--json", cwd=d))
    ok(run_cli("predict", *ckpt, "--input", "test.jsonl", "--output", "p.jsonl", cwd=d))
    (d / "t.csv").write_text("A,name\n10,x\n60.5,y\n,z\n-3,\n")
    ask = ok(run_cli("ask", "--checkpoint", "m.safetensors", "--table", "t.csv", "greater 5 A sum A", cwd=d))
    return d, json.loads(evaluate.stdout), ask.stdout


def test_generate_and_train(pipeline):
    d, _, _ = pipeline
    lines = (d / "test.jsonl").read_text().splitlines()
    assert len(lines) == 40
    ex = json.loads(lines[0])
    assert {"columns", "rows", "question", "answer", "program", "template"} <= set(ex)
    model, vocab, info = load_checkpoint(d / "m.safetensors")
    assert model.config.d == 16
    summary = info["summary"]
    assert summary["task"] == "single-column" and summary["train_size"] == 500 and summary["eval_size"] == 50
    assert 10 <= summary["steps_run"] <= 30 and summary["train_config"]["steps"] == 30


def test_evaluate(pipeline):
    d, result, _ = pipeline
    assert result["total"] == 40 and 0 <= result["correct"] <= 40
    assert result["accuracy"] == pytest.approx(result["correct"] / 40)
    per = result["per_template"]
    assert sum(v["total"] for v in per.values()) == 40
    examples = [json.loads(x) for x in (d / "test.jsonl").read_text().splitlines()]
    assert set(per) == {ex["program"] for ex in examples}


def test_predict_matches_trace(pipeline):
    d, result, _ = pipeline
    inputs = [json.loads(x) for x in (d / "test.jsonl").read_text().splitlines()]
    outputs = [json.loads(x) for x in (d / "p.jsonl").read_text().splitlines()]
    model, vocab, _ = load_checkpoint(d / "m.safetensors")
    assert len(outputs) == len(inputs)
    for ex, out in zip(inputs, outputs, strict=True):
        assert out["program_template"] == ex["program"]  # the input's program is kept
        assert {k: v for k, v in out.items() if k not in ("program", "program_template", "prediction")} == \
            {k: v for k, v in ex.items() if k != "program"}
        t = trace(model, vocab, ex["columns"], ex["rows"], ex["question"])
        assert out["program"] == t["program"]
        kind = t["answer"]["kind"]
        if kind == "scalar":
            assert out["prediction"] == {"scalar": pytest.approx(t["answer"]["scalar"])}
        elif kind == "lookup":
            assert out["prediction"] == {"cells": t["answer"]["cells"]}
        else:
            assert out["prediction"] == {"none": True}


def test_ask(pipeline):
    _, _, stdout = pipeline
    lines = stdout.splitlines()
    assert lines[0].startswith("answer: ")
    assert lines[1] == "program:" and lines[2].strip().startswith("1. ")


def test_errors_subprocess(pipeline):
    d, _, _ = pipeline
    (d / "bad.safetensors").write_bytes(b"\x00" * 64)
    fails(run_cli("evaluate", "--checkpoint", "bad.safetensors", "--input", "test.jsonl", cwd=d),
          "checkpoint")
    good = (d / "test.jsonl").read_text().splitlines()
    (d / "bad.jsonl").write_text("\n".join([good[0], good[1][:-5], good[2]]) + "\n")
    fails(run_cli("predict", "--checkpoint", "m.safetensors", "--input", "bad.jsonl", "--output", "o.jsonl",
                  cwd=d), "line 2")
    assert not (d / "o.jsonl").exists()
    (d / "rag.csv").write_text("A,B\n1,2\n3\n")
    fails(run_cli("ask", "--checkpoint", "m.safetensors", "--table", "rag.csv", "count", cwd=d), "ragged")
    r = run_cli("train", "--task", "no-such-task", "--output", "x.safetensors", cwd=d)
    assert r.returncode != 0 and "Traceback" not in r.stderr and "single-column" in r.stderr


# ----------------------------------------------------------------------------- in-process error handling

def main(capsys, *args):
    code = cli.main([str(a) for a in args])
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return code, out, err


def test_bad_inputs_in_process(pipeline, capsys, tmp_path, monkeypatch):
    d, _, _ = pipeline
    ckpt = d / "m.safetensors"
    jsonl = tmp_path / "x.jsonl"
    cases = {
        '{"columns": ["A"], "rows": [[1]], "question": "count", "answer": {"scalar": 1}}\n[1, 2]\n': "line 2",
        '{"columns": ["A"], "rows": [[1]]}\n': "question",
        '{"columns": ["A"], "rows": [[1], [1, 2]], "question": "count"}\n': "row 1",
        '{"columns": [], "rows": [], "question": "count"}\n': "columns",
        '{"columns": ["A"], "rows": [[{"x": 1}]], "question": "count"}\n': "cell",
        "\n\n": "empty",
    }
    for text, word in cases.items():
        jsonl.write_text(text)
        code, _, err = main(capsys, "predict", "--checkpoint", ckpt, "--input", jsonl,
                            "--output", tmp_path / "o")
        assert code == 1 and word in err, (text, err)
    jsonl.write_bytes(b'{"columns": ["A"], "rows": [[1]], "question": "\xff"}\n')
    assert main(capsys, "predict", "--checkpoint", ckpt, "--input", jsonl, "--output", tmp_path / "o")[0] == 1
    jsonl.write_text('{"columns": ["A"], "rows": [[1]], "question": "count"}\n')  # no answer: fine to predict
    assert main(capsys, "evaluate", "--checkpoint", ckpt, "--input", jsonl)[0] == 1
    assert main(capsys, "predict", "--checkpoint", ckpt, "--input", jsonl, "--output", tmp_path / "o")[0] == 0
    out = json.loads((tmp_path / "o").read_text())
    assert "program_template" not in out and len(out["program"]) == 4
    for args in (["evaluate", "--checkpoint", tmp_path / "missing.safetensors", "--input", jsonl],
                 ["evaluate", "--checkpoint", ckpt, "--input", tmp_path / "missing.jsonl"],
                 ["train", "--task", "single-column", "--d", "2", "--output", tmp_path / "m.safetensors"],
                 ["train", "--task", "single-column", "--steps", "0", "--output", tmp_path / "m.safetensors"],
                 ["generate", "--task", "single-column", "--n", "0", "--output", tmp_path / "g.jsonl"]):
        code, _, err = main(capsys, *args)
        assert code != 0 and err.startswith("error:"), args
    # --checkpoint defaults to checkpoints/single-column.safetensors: a clear error when it is absent
    monkeypatch.setattr(cli, "DEFAULT_CHECKPOINT", tmp_path / "checkpoints" / "single-column.safetensors")
    code, _, err = main(capsys, "ask", "--table", d / "t.csv", "count")
    assert code == 1 and "single-column.safetensors" in err
    monkeypatch.setattr(cli, "DEFAULT_CHECKPOINT", ckpt)
    assert main(capsys, "ask", "--table", d / "t.csv", "count")[0] == 0


def test_csv_reading(tmp_path, capsys):
    path = tmp_path / "t.csv"
    path.write_text('\ufeffprofit,name, year \n"1,500",a b,2001\n-2.5,,\n\n3,"x, y",7\n')
    columns, rows = cli.read_csv_table(str(path))
    assert columns == ["profit", "name", "year"]
    assert rows == [[1500.0, "a b", 2001.0], [-2.5, None, None], [3.0, "x, y", 7.0]]
    bad = {"": "empty", "a,b\n": "no data rows", "a,b\n1,2\n3,4,5\n": "ragged", "a,,c\n1,2,3\n": "name"}
    for text, word in bad.items():
        path.write_text(text)
        with pytest.raises(cli.CliError, match=word):
            cli.read_csv_table(str(path))
    path.write_bytes(b"a,b\n1,\xff\xfe\x00\n")
    with pytest.raises(cli.CliError, match="UTF-8"):
        cli.read_csv_table(str(path))
    with pytest.raises(cli.CliError, match="not found"):
        cli.read_csv_table(str(tmp_path / "none.csv"))


def test_hard_programs_batched_equals_trace(pipeline):
    d, _, _ = pipeline
    model, vocab, _ = load_checkpoint(d / "m.safetensors")
    examples = [json.loads(x) for x in (d / "test.jsonl").read_text().splitlines()][:12]
    examples.append({"columns": ["A"], "rows": [[1.0]], "question": "count"})  # no numbers: pivot -1
    with torch.no_grad():
        out = model(encode(examples, vocab), hard=True)
    programs, predictions = cli.hard_programs(model, examples, out)
    for ex, program in zip(examples, programs, strict=True):
        assert program == trace(model, vocab, ex["columns"], ex["rows"], ex["question"])["program"]


def test_train_nan_guard_saves_best_and_exits_2(tmp_path, capsys, monkeypatch):
    """When the trainer's NaN guard stops a run (summary["error"]), the CLI says so, saves the best model
    and exits with 2. (The guard itself is tested in test_learning.py.)"""
    real_train = train_module.train

    def train(*args, **kw):
        result = real_train(*args, **kw)
        result.summary["error"] = "training stopped at step 13: the loss became nan"
        return result

    monkeypatch.setattr(train_module, "train", train)
    out = tmp_path / "nan.safetensors"
    code, stdout, err = main(capsys, "train", "--task", "single-column", *TINY, "--output", out)
    assert code == 2
    assert "error: training stopped at step 13: the loss became nan" in err
    assert "saved" in stdout
    _, _, info = load_checkpoint(out)
    assert info["summary"]["error"].startswith("training stopped")


def test_train_ctrl_c_saves_best(tmp_path, capsys, monkeypatch):
    """SIGINT during training sets the stop event; the best model so far is saved."""

    class InterruptingProgress(train_module.Progress):
        def add_loss(self, step, loss):
            super().add_loss(step, loss)
            if step == 15:
                os.kill(os.getpid(), signal.SIGINT)

    monkeypatch.setattr(train_module, "Progress", InterruptingProgress)
    # a run in the background (nohup, `&`) starts with SIGINT ignored; start from Python's default
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        _ctrl_c_run(tmp_path, capsys)
    finally:
        signal.signal(signal.SIGINT, previous)


def _ctrl_c_run(tmp_path, capsys):
    out = tmp_path / "stopped.safetensors"
    args = ["--steps", "100000", "--train-size", "300", "--eval-size", "30", "--d", "8", "--eval-every", "10"]
    code, stdout, err = main(capsys, "train", "--task", "single-column", *args, "--output", out)
    assert code == 0 and "Ctrl-C" in stdout and "interrupted" in err
    _, _, info = load_checkpoint(out)
    assert info["summary"]["stopped"] and info["summary"]["steps_run"] <= 17
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # the handler is restored


def test_help_documents_program_template(capsys):
    with pytest.raises(SystemExit) as e:
        cli.main(["predict", "--help"])
    assert e.value.code == 0
    assert "program_template" in capsys.readouterr().out
    assert cli.main([]) == 2
