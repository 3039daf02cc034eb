"""The `train` command (engine/cli/dispatch.py, engine/cli/train.py): flags generated from the config fields, and
training faults end to end: a diverging run, Ctrl-C, an output that cannot be written."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from engine.cli import main as cli
from engine.cli.parser import build_parser
from engine.cli.train import configs_from_args
from engine.core.settings import settings
from engine.np2016 import presets
from engine.np2016 import train as train_module
from engine.np2016.checkpoint import load_checkpoint
from engine.np2016.config import ModelConfig, TrainConfig

ROOT = Path(__file__).resolve().parents[2]
TINY = ["--steps", "30", "--train-size", "500", "--eval-size", "50", "--test-size", "40", "--d", "16",
        "--eval-every", "10",
        "--threads", "1"]


def main(capsys, *args):
    code = cli.main([str(a) for a in args])
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return code, out, err


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




# ----------------------------------------------------------------------------- settings said once

def _train_args(*flags):
    return build_parser().parse_args(["train", "--task", "columns-5", *map(str, flags), "--output", "x"])


def test_train_flags_are_generated_from_the_config_fields(capsys):
    with pytest.raises(SystemExit):
        cli.main(["train", "--help"])
    text = capsys.readouterr().out
    for cls in (TrainConfig, ModelConfig):
        for s in settings(cls):
            assert (f"--{s.flag} " in text or f"--{s.flag}," in text) == (s.cli or s.name in ("task", "preset")), s.name
    cfg, model_cfg = configs_from_args(_train_args())
    assert cfg == TrainConfig(task="columns-5")  # no flag given: the dataclass's defaults, written once
    assert model_cfg == presets.model_config("default", "columns-5", model_cfg.vocab_size)
    # the flags in use in tests, docs/cli.md and benchmarks keep their names
    cfg, model_cfg = configs_from_args(_train_args(
        "--d", 16, "--T", 3, "--no-grad-noise", "--no-bidirectional", "--batch-size", 7, "--lr", "1e-2",
        "--steps", 5, "--train-option", "search_samples=4", "--model-option", "question_attention=false"))
    assert (cfg.batch_size, cfg.lr, cfg.steps, cfg.grad_noise, cfg.search_samples) == (7, 0.01, 5, False, 4)
    assert (model_cfg.d, model_cfg.T, model_cfg.bidirectional, model_cfg.question_attention) == \
        (16, 3, False, False)


def test_invalid_settings_are_usage_errors_naming_field_value_and_range(tmp_path, capsys):
    out = tmp_path / "m.safetensors"
    cases = {("--lr", "2e6"): "lr must be in [1e-07, 1000000], got 2000000.0",
             ("--steps", "0"): "steps must be in [1, 1000000], got 0",
             ("--T", "99"): "T must be in [1, 16], got 99",
             ("--train-option", "search_epsilon=2"): "search_epsilon must be in [0, 1], got 2.0",
             ("--model-option", "ops=sum"): "KEY one of"}
    for flags, message in cases.items():
        code, _, err = main(capsys, "train", "--task", "single-column", *flags, "--output", out)
        assert code == 2 and message in err, (flags, err)
    for flags in (("--lr", "abc"), ("--steps", "1.5"), ("--lr", "nan")):
        with pytest.raises(SystemExit) as e:
            cli.main(["train", "--task", "single-column", *flags, "--output", str(out)])
        assert e.value.code == 2 and flags[1] in capsys.readouterr().err
    assert not out.exists()


# ----------------------------------------------------------------------------- training faults, end to end

def test_train_diverging_lr_stops_cleanly_and_saves(tmp_path, capsys):
    """`train --lr 1e6`: a clear message, exit code 2 and a saved model (was: RuntimeError from sampling NaN
    scores, exit 1, no checkpoint)."""
    out = tmp_path / "m.safetensors"
    # measured: these settings overflow the scores within about 35 steps (d 16 and batch 50: about 250)
    code, stdout, err = main(capsys, "train", "--task", "single-column", "--lr", "1e6", "--d", 64, "--batch-size", 5,
                             "--steps", 300, "--train-size", 300, "--eval-size", 20, "--eval-every", 100,
                             "--output", out)
    assert code == 2 and "error: training stopped at step" in err and "lower learning rate" in err, err
    assert f"saved {out}" in stdout
    _, _, info = load_checkpoint(out)
    assert info["summary"]["error"].startswith("training stopped")


def test_ctrl_c_during_data_generation_keeps_the_existing_checkpoint(tmp_path):
    """SIGINT while the data is generated: the process exits within 3 s and a checkpoint already at --output
    stays byte for byte (was: ~11 s, then overwritten by a 0-step model)."""
    out = tmp_path / "best.safetensors"
    out.write_bytes((ROOT / "checkpoints" / "columns-10.safetensors").read_bytes())
    before, log = out.read_bytes(), tmp_path / "stderr.txt"
    env = dict(os.environ, PYTHONPATH=str(ROOT), OMP_NUM_THREADS="1")
    with open(log, "w") as err:
        proc = subprocess.Popen([sys.executable, "-m", "engine", "train", "--task", "columns-10", "--train-size",
                                 "1000000", "--output", str(out)], cwd=tmp_path, env=env, stdout=subprocess.PIPE,
                                stderr=err, text=True)
    try:
        deadline = time.monotonic() + 60
        while "generating data" not in log.read_text() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert "generating data" in log.read_text()
        time.sleep(0.3)  # well inside the generation of a million examples
        proc.send_signal(signal.SIGINT)
        sent = time.monotonic()
        proc.wait(timeout=30)
        assert time.monotonic() - sent < 3
    finally:
        proc.kill()
        proc.wait()
    assert "Traceback" not in log.read_text() and proc.returncode == 130, log.read_text()
    assert out.read_bytes() == before


def test_unwritable_output_is_refused_before_training(tmp_path, capsys):
    (tmp_path / "a-file").write_text("x")
    outputs = [tmp_path / "a-file" / "m.safetensors", Path("/proc/self/m.safetensors"), tmp_path]
    if os.geteuid() != 0:  # root writes into a read-only directory anyway
        (tmp_path / "ro").mkdir(mode=0o555)
        outputs.append(tmp_path / "ro" / "m.safetensors")
    for output in outputs:
        started = time.monotonic()
        code, _, err = main(capsys, "train", "--task", "columns-10", "--train-size", 1_000_000, "--output", output)
        assert code != 0 and err.startswith("error:") and str(output) in err, err
        assert time.monotonic() - started < 2, output  # refused before a million examples were generated




def test_train_saves_its_state_and_resume_goes_on_from_it(tmp_path, capsys):
    from engine.core.train_state import load_state, state_path
    from engine.np2016.checkpoint import load_checkpoint

    out = tmp_path / "m.safetensors"
    small = ["--train-size", "200", "--eval-size", "20", "--test-size", "0", "--d", "8", "--eval-every", "5"]
    code, _, err = main(capsys, "train", "--task", "single-column", "--steps", "5", *small, "--resume",
                        "--output", out)
    assert code == 2 and "nothing to resume" in err
    assert main(capsys, "train", "--task", "single-column", "--steps", "5", *small, "--output", out)[0] == 0
    assert load_state(state_path(out))[1]["step"] == 5
    code, _, err = main(capsys, "train", "--task", "single-column", "--steps", "8", *small, "--resume",
                        "--output", out)
    assert code == 0, err
    assert load_checkpoint(out)[2]["summary"]["steps_run"] == 8 and load_state(state_path(out))[1]["step"] == 8
    code, _, err = main(capsys, "train", "--task", "single-column", "--steps", "9", "--lr", "0.5", *small,
                        "--resume", "--output", out)
    assert code == 2 and "another run" in err  # other settings: not this run's state
