"""The command line (engine/cli/main.py): a subprocess smoke test of every subcommand, and its error handling."""

import json
import math
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from engine.cli import main as cli
from engine.cli import np2016 as cli_np2016
from engine.np2016.checkpoint import load_checkpoint
from engine.np2016.trace import trace

ROOT = Path(__file__).resolve().parents[2]
TINY = ["--steps", "30", "--train-size", "500", "--eval-size", "50", "--test-size", "40", "--d", "16",
        "--eval-every", "10",
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
    assert "best validation accuracy" in r.stdout and "m.safetensors" in r.stdout
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
        assert out["program"] == t["extra"]["program"]
        kind = t["answer"]["kind"]
        if kind == "scalar":
            assert out["prediction"] == {"scalar": pytest.approx(t["answer"]["scalar"])}
        elif kind == "cells":
            assert out["prediction"] == {"cells": t["answer"]["cells"]}
        else:
            assert out["prediction"] == {"none": True}


def test_ask(pipeline):
    _, _, stdout = pipeline
    lines = stdout.splitlines()
    assert lines[0].startswith("answer: ")
    assert lines[1] == "program:" and lines[2].strip().startswith("t1. ")


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
        # each with its line number (was: errors without one, or a RecursionError)
        '\n{"columns": ["A"], "rows": [[1]], "question": "count", "answer": {"cells": null}}\n': "line 2",
        '{"columns": ["A"], "rows": [[' + "9" * 400 + ']], "question": "count"}\n': "line 1",
        '{"columns": ["A"], "rows": [[1]], "question": "count", "x": ' + "[" * 5000 + "]" * 5000 + '}\n': "line 1",
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
    monkeypatch.setattr(cli_np2016, "DEFAULT_CHECKPOINT", tmp_path / "checkpoints" / "single-column.safetensors")
    code, _, err = main(capsys, "ask", "--table", d / "t.csv", "count")
    assert code == 1 and "single-column.safetensors" in err
    monkeypatch.setattr(cli_np2016, "DEFAULT_CHECKPOINT", ckpt)
    assert main(capsys, "ask", "--table", d / "t.csv", "count")[0] == 0


def test_the_default_checkpoint_is_the_shipped_one():
    assert cli_np2016.DEFAULT_CHECKPOINT == ROOT / "checkpoints" / "single-column.safetensors"
    assert cli_np2016.DEFAULT_CHECKPOINT.is_file()


def test_help_documents_program_template(capsys):
    with pytest.raises(SystemExit) as e:
        cli.main(["predict", "--help"])
    assert e.value.code == 0
    assert "program_template" in capsys.readouterr().out
    assert cli.main([]) == 2


# ----------------------------------------------------------------------------- predict and evaluate

def test_evaluate_reads_predicts_output(pipeline, capsys):
    """predict then evaluate on its output (was: TypeError: unhashable type: 'list')."""
    d, result, _ = pipeline
    code, out, _ = main(capsys, "evaluate", "--checkpoint", d / "m.safetensors", "--input", d / "p.jsonl", "--json")
    assert code == 0 and json.loads(out) == result  # the same accuracy, per template of the generator


def _strict(text: str):
    def refuse(name):
        raise AssertionError(f"{name} in the output is not JSON")
    return json.loads(text, parse_constant=refuse)


def test_predict_never_writes_nan(pipeline, tmp_path, capsys):
    """Cells above the float32 range (the model once computed in float32: NaN and inf) give finite answers."""
    d, _, _ = pipeline
    inp, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    examples = [{"columns": ["A"], "rows": [[1e39], [3.5e38], [2.0]], "question": q}
                for q in ("sum A", "count", "greater 1e38 A sum A", "print A", "lesser 5 A count")]
    inp.write_text("".join(json.dumps(ex) + "\n" for ex in examples))
    assert main(capsys, "predict", "--checkpoint", d / "m.safetensors", "--input", inp, "--output", out)[0] == 0
    rows = [_strict(line) for line in out.read_text().splitlines()]
    assert len(rows) == len(examples)
    for row in rows:
        assert set(row["prediction"]) <= {"scalar", "cells", "none", "reason"}
        if "scalar" in row["prediction"]:
            assert math.isfinite(row["prediction"]["scalar"])


def test_predict_groups_by_size_and_streams(pipeline, tmp_path, capsys, monkeypatch):
    """A large table among small ones is batched apart from them (no batch pads past the budget), and a long
    file read a few examples at a time gives the same output, in the input's order."""
    from engine.core import limits
    from engine.core.limits import BATCH_MAX_CELLS
    from engine.np2016 import program

    d, _, _ = pipeline
    small = [json.loads(x) for x in (d / "test.jsonl").read_text().splitlines()][:30]
    big = {"columns": [chr(65 + j) for j in range(20)], "rows": [[float(i + j) for j in range(20)]
                                                                for i in range(10_000)], "question": "sum A"}
    examples = small[:10] + [big] + small[10:]
    inp = tmp_path / "in.jsonl"
    inp.write_text("".join(json.dumps(ex) + "\n" for ex in examples))
    shapes, real_encode = [], program.encode

    def encode(part, vocab, **kw):
        shapes.append((len(part), max(len(ex["rows"]) for ex in part), max(len(ex["columns"]) for ex in part)))
        return real_encode(part, vocab, **kw)

    monkeypatch.setattr(program, "encode", encode)
    ckpt = d / "m.safetensors"
    assert main(capsys, "predict", "--checkpoint", ckpt, "--input", inp, "--output", tmp_path / "a.jsonl")[0] == 0
    assert (1, 10_000, 20) in shapes  # the large table alone: 31 examples padded to it would be 6.2M cells
    assert all(b * m * c <= BATCH_MAX_CELLS for b, m, c in shapes)
    shapes.clear()
    monkeypatch.setattr(limits, "PREDICT_CHUNK_EXAMPLES", 7)
    assert main(capsys, "predict", "--checkpoint", ckpt, "--input", inp, "--output", tmp_path / "b.jsonl")[0] == 0
    assert max(b for b, _, _ in shapes) <= 7  # read and predicted 7 examples at a time
    assert (tmp_path / "a.jsonl").read_text() == (tmp_path / "b.jsonl").read_text()
    model, vocab, _ = load_checkpoint(ckpt)
    rows = [_strict(line) for line in (tmp_path / "a.jsonl").read_text().splitlines()]
    assert [r["question"] for r in rows] == [ex["question"] for ex in examples]
    for ex, row in list(zip(examples, rows, strict=True))[8:13]:
        assert row["program"] == trace(model, vocab, ex["columns"], ex["rows"], ex["question"])["extra"]["program"]


# ----------------------------------------------------------------------------- ask: numbers read as written

SHIPPED = ROOT / "checkpoints"


def _ask(capsys, tmp_path, csv_text: str, question: str, checkpoint="single-column"):
    path = tmp_path / "t.csv"
    path.write_text(csv_text)
    code, out, err = main(capsys, "ask", "--checkpoint", SHIPPED / f"{checkpoint}.safetensors", "--table", path,
                          "--json", question)
    assert code == 0, err
    return _strict(out)


def test_ask_semicolon_file_with_decimal_commas(tmp_path, capsys):
    """`1,5;2` in a ';' file is 1.5 and 2 (was: refused as ragged rows; the app read 15)."""
    text = "A;B\n1,5;2\n2,25;4\n"
    assert _ask(capsys, tmp_path, text, "sum A", "columns-3")["answer"]["scalar"] == pytest.approx(3.75)
    assert _ask(capsys, tmp_path, text, "sum B", "columns-3")["answer"]["scalar"] == pytest.approx(6.0)


def test_ask_scientific_notation_in_table_and_question(tmp_path, capsys):
    """`1e3` is a number in a cell and in the question (was: the column became text and sum answered 0)."""
    assert _ask(capsys, tmp_path, "A\n1e3\n2\n", "sum A")["answer"]["scalar"] == pytest.approx(1002.0)
    t = _ask(capsys, tmp_path, "A\n500\n1000\n2e3\n3E3\n", "greater 1e3 A sum A")
    assert t["numbers"] == [1000.0] and t["answer"]["scalar"] == pytest.approx(5000.0)


def test_ask_huge_integer_cells(tmp_path, capsys):
    """A 30-digit integer is summed as a number; a 400-digit one (beyond any float) is emptied with a warning
    that names it, and the other cells still sum (was: the whole column turned into text, sum 0)."""
    big = 123456789012345678901234567890
    t = _ask(capsys, tmp_path, f"A\n{big}\n1\n", "sum A")
    assert t["answer"]["scalar"] == pytest.approx(float(big) + 1, rel=1e-12)
    t = _ask(capsys, tmp_path, f"A\n{'9' * 400}\n2\n5\n", "sum A")
    assert t["answer"]["scalar"] == pytest.approx(7.0)
    assert any("empty" in w for w in t["warnings"]), t["warnings"]


def test_ask_question_with_too_many_numbers_is_refused_quickly(tmp_path, capsys):
    """A question with 3000 numbers, or just more numbers than the model compares with, is refused at once with
    the limit in the message, before the table is read or the model loaded (was: an attempt to allocate 24 GB)."""
    from engine.core.limits import QUESTION_MAX_CHARS, QUESTION_MAX_NUMBERS

    path = tmp_path / "t.csv"
    path.write_text("A\n" + "".join(f"{i}\n" for i in range(1000)))
    for numbers, limit in ((range(3000), f"the limit is {QUESTION_MAX_CHARS:,}"),
                           ([i % 10 for i in range(QUESTION_MAX_NUMBERS + 1)], f"the limit is {QUESTION_MAX_NUMBERS}")):
        question = "greater " + " ".join(map(str, numbers)) + " A sum A"
        started = time.monotonic()
        code, _, err = main(capsys, "ask", "--checkpoint", SHIPPED / "single-column.safetensors", "--table", path,
                            question)
        assert time.monotonic() - started < 2
        assert code == 1 and limit in err, err
