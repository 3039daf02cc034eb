"""Sweep directories that are not what they seem: special files as records, spec and grid (refused at once,
never blocking or read without end, tests/special_files.py), the one strict spec reader shared by the CLI
and the app, and a typed path, read only under the allowed folders (NPX_SWEEP_DIRS) and refused in the same
words whatever lies at the path (the Sweeps page itself: tests/ui/test_sweeps_typed_path.py)."""

from __future__ import annotations

import contextlib
import io
import json
import os

import pytest

from engine.cli.main import main
from engine.sweep import plan as sweep
from explorer import sweeps
from tests.special_files import QUICK_SECONDS, SPECIAL, attempt
from tests.ui.test_sweeps_page import SPEC, write_sweep

WHAT = {"fifo": "a FIFO, not a regular file", "dev-zero-link": "a device, not a regular file"}


# ----------------------------------------------------------------------------- special files in a sweep


@pytest.mark.parametrize("kind, make", SPECIAL)
def test_a_special_record_is_skipped_at_once_and_the_others_read(tmp_path, kind, make):
    write_sweep(tmp_path)
    make(tmp_path / "runs" / "z.json")

    def read():
        problems = []
        return len(sweep.read_records(tmp_path, problems)), problems

    outcome = attempt(read)
    assert outcome.kind == "returned" and outcome.seconds < QUICK_SECONDS, outcome
    found, problems = outcome.value
    assert found == 3 and len(problems) == 1 and "z.json: skipped" in problems[0] and WHAT[kind] in problems[0]


@pytest.mark.parametrize("kind, make", SPECIAL)
def test_a_special_sweep_json_is_refused_by_the_engine_and_the_app(tmp_path, kind, make):
    make(tmp_path / "sweep.json")
    for read in (lambda: sweep.read_spec(tmp_path), lambda: sweeps.load(tmp_path)):
        outcome = attempt(read)
        assert outcome.raised("ValueError") and outcome.seconds < QUICK_SECONDS, outcome
        assert "sweep.json cannot be read" in outcome.message and WHAT[kind] in outcome.message


@pytest.mark.parametrize("kind, make", SPECIAL)
def test_a_special_grid_file_is_refused_with_its_reason(tmp_path, kind, make):
    grid = make(tmp_path / "grid.json")
    outcome = attempt(lambda: sweep.load_grid(grid))
    assert outcome.raised("NotRegularFileError") and WHAT[kind] in outcome.message, outcome
    import engine.sweep.ray_runner  # noqa: F401 - the CLI imports Ray: here, not in the child, where it would be timed

    def cli():
        with contextlib.redirect_stderr(io.StringIO()) as err:
            code = main(["sweep", "--task", "single-column", "--grid", str(grid), "--output", str(tmp_path / "o")])
        return code, err.getvalue()

    outcome = attempt(cli)
    assert outcome.kind == "returned" and outcome.seconds < QUICK_SECONDS, outcome
    assert outcome.value == (1, f"error: {grid}: {WHAT[kind]}\n")


# ----------------------------------------------------------------------------- one strict spec reader


def _spec_file(tmp_path, spec) -> None:
    (tmp_path / "sweep.json").write_text(json.dumps(spec))


@pytest.mark.parametrize("change, words", [
    ({"seeds": 0}, "seeds is not a positive integer"),
    ({"seeds": 10**6}, "seeds is over 1000"),
    ({"grid": {f"f{i}": list(range(10)) for i in range(20)}}, "grid has more than 10,000 points"),
    ({"grid": {"lr": []}}, "grid is not an object of non-empty value lists"),
    ({"version": 2}, "version is 2, not 1"),
    ({"preset": None}, "preset is not a name"),
    ({"target": float("inf")}, "cannot be read"),  # Infinity is not JSON a spec may hold
    ({"target": 2}, "target is not a number in [0, 1]"),
    ({"models_per_worker": 0}, "models_per_worker is not a positive integer"),
])
def test_the_engine_reader_is_strict_and_the_app_says_the_same(tmp_path, change, words):
    _spec_file(tmp_path, {**SPEC, **change})
    with pytest.raises(ValueError) as engine_error:
        sweep.read_spec(tmp_path)
    with pytest.raises(sweeps.SweepError) as app_error:
        sweeps.read_spec(tmp_path)
    assert words in str(engine_error.value) and str(app_error.value) == str(engine_error.value)


def test_a_spec_the_engine_writes_reads_back_and_an_absent_one_is_none(tmp_path):
    assert sweep.read_spec(tmp_path) is None
    spec = sweep.make_spec("paper2016", "single-column", {"clip": [1.0, 5.0]}, 2, {"steps": 4}, 0.9, 4)
    sweep.open_sweep(tmp_path, spec)
    assert sweep.read_spec(tmp_path) == sweeps.read_spec(tmp_path) == spec


def test_an_oversized_spec_is_refused_unread(tmp_path):
    (tmp_path / "sweep.json").write_bytes(b" " * (sweep.SPEC_MAX_BYTES + 1))
    with pytest.raises(ValueError, match="over the limit of 1,000,000 bytes"):
        sweep.read_spec(tmp_path)


# ----------------------------------------------------------------------------- typed paths


@pytest.fixture
def roots(tmp_path, monkeypatch):
    """An allowed folder and a folder outside it, each holding a complete sweep; NPX_SWEEP_DIRS names the
    allowed one and another that does not exist."""
    allowed, outside = tmp_path / "allowed", tmp_path / "outside"
    write_sweep(allowed / "mine")
    write_sweep(outside / "theirs")
    monkeypatch.setenv(sweeps.ALLOWED_ENV, os.pathsep.join([str(allowed), str(tmp_path / "other")]))
    return allowed, outside


def test_a_typed_sweep_under_an_allowed_folder_is_read(roots):
    allowed, _ = roots
    assert sweeps.typed_directory(f"  {allowed / 'mine'}  ") == (allowed / "mine").resolve()
    assert sweeps.typed_directory(str(allowed / "x" / ".." / "mine")) == (allowed / "mine").resolve()


def test_every_refused_typed_path_gets_the_same_words(roots, tmp_path):
    allowed, outside = roots
    (allowed / "empty").mkdir()
    (allowed / "file").write_text("{}")
    (allowed / "link").symlink_to(outside / "theirs")  # inside by name, outside once resolved
    typed = [outside / "theirs", tmp_path / "nowhere", allowed / "nowhere", allowed / "empty", allowed / "file",
             allowed / "link", allowed / ".." / "outside" / "theirs", "", "~no-such-user-x/sweep", "a\0b"]
    messages = set()
    for text in typed:
        with pytest.raises(sweeps.SweepError) as e:
            sweeps.typed_directory(str(text))
        messages.add(str(e.value))
    assert messages == {sweeps.refused_message()}
    assert str(allowed) in sweeps.refused_message() and str(outside) not in sweeps.refused_message()


def test_by_default_the_shipped_and_own_sweeps_are_the_allowed_folders(tmp_path, monkeypatch):
    monkeypatch.delenv(sweeps.ALLOWED_ENV, raising=False)
    monkeypatch.setenv(sweeps.SHIPPED_ENV, str(tmp_path / "shipped"))
    monkeypatch.setenv(sweeps.OWN_ENV, str(tmp_path / "own"))
    assert sweeps.allowed_roots() == [(tmp_path / "shipped").resolve(), (tmp_path / "own").resolve()]
    write_sweep(tmp_path / "own" / "run")
    assert sweeps.typed_directory(str(tmp_path / "own" / "run")) == (tmp_path / "own" / "run").resolve()

