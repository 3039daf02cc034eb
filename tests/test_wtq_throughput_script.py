"""benchmarks/wtq_throughput.py on a fresh clone: its default data (in the git-ignored runs/ folder) is missing,
and it says in one line which command writes it, with no traceback (issue 20, item 5)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "benchmarks" / "wtq_throughput.py"


def run_fresh_copy(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    """The script run from a copy of benchmarks/ in an empty folder: its runs/ default then points into a tree
    with no runs/ at all, as on a fresh clone, whatever this checkout's runs/ holds; the engine comes from here."""
    (tmp_path / "benchmarks").mkdir()
    copy = shutil.copy(SCRIPT, tmp_path / "benchmarks" / SCRIPT.name)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, copy, *args], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=120)


def test_missing_default_data_names_the_convert_command(tmp_path):
    result = run_fresh_copy(tmp_path, "--seconds", "1")
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""
    (line,) = result.stderr.splitlines()
    assert "runs/wtq/random-split-1-train.jsonl: not found" in line
    assert "python -m engine wtq-convert --tsv" in line and "--output runs/wtq/random-split-1-train.jsonl" in line


def test_unreadable_data_is_one_line_not_a_traceback(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text("not json\n")
    result = run_fresh_copy(tmp_path, "--data", str(bad), "--seconds", "1")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"error: {bad}")
