"""One training per output (engine/np2016/runs.py `hold_output`): a second `train` writing the same --output is refused
with a usage error (exit code 2) while the first holds the file, and a killed holder leaves no stale claim."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from engine.np2016.checkpoint import read_checkpoint_info
from engine.np2016.runs import OutputBusy, OutputError, hold_output, lock_path

ROOT = Path(__file__).resolve().parents[2]
ENV = dict(os.environ, PYTHONPATH=str(ROOT), OMP_NUM_THREADS="1")
TINY = ["--task", "single-column", "--steps", "3", "--train-size", "40", "--eval-size", "10", "--test-size", "0",
        "--d", "16", "--eval-every", "3", "--threads", "1"]
# a holder process: claims the output through the same function the commands use, says so, then waits
HOLDER = ("import sys, time; from engine.np2016.runs import hold_output; claim = hold_output(sys.argv[1]); "
          "print('held', flush=True); time.sleep(120)")


def engine(*args, timeout=120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "engine", *map(str, args)], cwd=ROOT, env=ENV,
                          capture_output=True, text=True, timeout=timeout)


@pytest.fixture
def holder(tmp_path):
    """Start a process holding the claim on tmp_path/model.safetensors; yields (process, output)."""
    output = tmp_path / "model.safetensors"
    proc = subprocess.Popen([sys.executable, "-c", HOLDER, str(output)], cwd=ROOT, env=ENV,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "held", proc.stderr.read()
        yield proc, output
    finally:
        proc.kill()
        proc.wait()


def assert_refused(result: subprocess.CompletedProcess, output: Path) -> None:
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 2, result.stderr
    assert len(lines) == 1 and lines[0].startswith("error:"), result.stderr
    assert str(output) in lines[0] and "another training" in lines[0]
    assert "Traceback" not in result.stderr


def test_a_claimed_output_refuses_a_second_claim_until_released(tmp_path):
    output = tmp_path / "sub" / "model.safetensors"
    first = hold_output(output)
    assert first.held and lock_path(output).exists() and output.parent.is_dir()
    with pytest.raises(OutputBusy, match="another training") as refused:
        hold_output(output)
    assert str(output) in str(refused.value) and isinstance(refused.value, OutputError)
    first.release()
    assert not first.held and not lock_path(output).exists()  # a finished run leaves nothing beside its output
    with hold_output(output) as path:  # free again; the context manager releases it
        assert path == output
        with pytest.raises(OutputBusy):
            hold_output(str(output))  # another spelling of the same name is the same claim
    assert not lock_path(output).exists()


def test_a_claim_is_for_one_output_only(tmp_path):
    with hold_output(tmp_path / "a.safetensors"), hold_output(tmp_path / "b.safetensors"):
        pass


def test_a_lock_file_left_by_a_dead_run_does_not_block(tmp_path):
    output = tmp_path / "model.safetensors"
    lock_path(output).touch()  # what a killed run leaves: the file, with no lock on it
    with hold_output(output):
        assert lock_path(output).exists()


def test_a_second_training_of_the_same_output_is_refused_and_writes_nothing(holder):
    proc, output = holder
    started = time.monotonic()
    assert_refused(engine("train", *TINY, "--output", output), output)
    assert time.monotonic() - started < 60  # refused before training: only the start-up of python and torch
    assert not output.exists()
    # the 2017 model's training takes the same claim, before it reads its data
    assert_refused(engine("train", "--data", output.parent / "none.jsonl", "--dev", output.parent / "none.jsonl",
                          "--output", output), output)


def test_after_the_holder_is_killed_the_output_is_free_again(holder):
    proc, output = holder
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    assert lock_path(output).exists()  # left behind by the killed process, but no longer locked
    result = engine("train", *TINY, "--output", output)
    assert result.returncode == 0, result.stderr
    assert read_checkpoint_info(output)["valid_accuracy"] is not None
    assert not lock_path(output).exists()  # the run that finished took the claim and gave it back


def test_a_running_training_holds_its_output_until_it_ends(tmp_path):
    """Two real trainings: the second is refused while the first trains; once the first is killed, a third
    training of the same output runs and saves."""
    output, log = tmp_path / "model.safetensors", tmp_path / "first.txt"
    long_run = [*TINY[:2], "--steps", "1000000", *TINY[4:]]
    with open(log, "w") as err:
        first = subprocess.Popen([sys.executable, "-m", "engine", "train", *long_run, "--output", str(output)],
                                 cwd=ROOT, env=ENV, stdout=subprocess.DEVNULL, stderr=err)
    try:
        deadline = time.monotonic() + 60
        while not lock_path(output).exists() and first.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert lock_path(output).exists() and first.poll() is None, log.read_text()
        assert_refused(engine("train", *TINY, "--output", output), output)
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=30)
        assert engine("train", *TINY, "--output", output).returncode == 0
    finally:
        first.kill()
        first.wait()
    assert output.is_file()
