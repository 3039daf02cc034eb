"""engine/core/io/input_file.py, and every engine reader of a user's path through it: a FIFO or a symlink to /dev/zero
where a CSV table, a JSONL file, a checkpoint, a WTQ question file or table, or the baselines' figures are
expected is refused at once with a message that says what it is; a file over a limit is refused having read
at most limit + 1 bytes. Each hostile read runs in a forked child (tests/special_files.py), so a regression
fails here instead of blocking or exhausting memory."""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.core import limits
from engine.core.io import input_file
from engine.core.io.examples import InputError, read_jsonl, read_table_csv
from engine.core.io.input_file import DirectoryError, NotRegularFileError, TooLargeError, open_input, read_limited
from engine.np2016.checkpoint import load_checkpoint, read_checkpoint_info
from engine.wtq2017.dataset.tables import iter_questions, read_wtq_table
from explorer.baselines import measured_accuracy
from tests.special_files import QUICK_SECONDS, SPECIAL, attempt, make_fifo

CLI = dict(max_bytes=limits.TABLE_MAX_BYTES, max_rows=limits.TABLE_MAX_ROWS, max_columns=limits.TABLE_MAX_COLUMNS,
           max_cells=limits.TABLE_MAX_CELLS)
WHAT = {"fifo": "a FIFO, not a regular file", "dev-zero-link": "a device, not a regular file"}


def _open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


# ----------------------------------------------------------------------------- the module itself


def test_a_regular_file_is_read_whole_and_streamed_with_its_size(tmp_path):
    path = tmp_path / "a.txt"
    path.write_bytes(b"one\ntwo\n")
    assert read_limited(path, 8) == b"one\ntwo\n"  # exactly at the limit
    with open_input(path, 100) as (f, size):
        assert size == 8 and f.readline() == b"one\n"
        assert not fcntl.fcntl(f.fileno(), fcntl.F_GETFL) & os.O_NONBLOCK  # ordinary blocking reads again
        assert fcntl.fcntl(f.fileno(), fcntl.F_GETFD) & fcntl.FD_CLOEXEC


@pytest.mark.parametrize("kind, make", SPECIAL)
def test_special_files_are_refused_before_any_read(tmp_path, kind, make):
    path = make(tmp_path / "x.json")
    before = _open_fds()
    outcome = attempt(lambda: read_limited(path, 10))
    assert outcome.raised("NotRegularFileError") and outcome.raised("OSError"), outcome
    assert WHAT[kind] in outcome.message and outcome.seconds < QUICK_SECONDS
    with pytest.raises(NotRegularFileError) as e:  # here too: nothing blocks, no descriptor is left open
        read_limited(path, 10)
    assert e.value.strerror == WHAT[kind] and _open_fds() == before


def test_a_directory_and_a_missing_path_raise_the_usual_errors(tmp_path):
    with pytest.raises(DirectoryError) as e:
        read_limited(tmp_path, 10)
    assert isinstance(e.value, IsADirectoryError) and e.value.strerror == "a directory"
    with pytest.raises(FileNotFoundError):
        read_limited(tmp_path / "none", 10)


def test_a_file_over_the_limit_by_its_size_is_refused_unread(tmp_path):
    path = tmp_path / "big"
    path.write_bytes(b"x" * 11)
    with pytest.raises(TooLargeError) as e:
        read_limited(path, 10)
    assert (e.value.size, e.value.limit, e.value.strerror) == (11, 10, "over the limit of 10 bytes")


def test_fstat_on_the_opened_file_decides_not_an_earlier_stat(tmp_path, monkeypatch):
    """A name swapped between stat and open (stat saw a regular file, open got a FIFO) is still refused."""
    regular, fifo = tmp_path / "regular", make_fifo(tmp_path / "fifo")
    regular.write_bytes(b"{}")
    real_stat = os.stat
    with monkeypatch.context() as m:
        m.setattr(input_file.os, "stat", lambda p, *a, **k: real_stat(regular if Path(p) == fifo else p, *a, **k))
        outcome = attempt(lambda: read_limited(fifo, 10))
    assert outcome.raised("NotRegularFileError") and WHAT["fifo"] in outcome.message, outcome


class _CountingReader:
    """A file object that counts the bytes handed out by read()."""

    def __init__(self, f, counts: list[int]):
        self.f, self.counts = f, counts

    def read(self, n=-1):
        data = self.f.read(n)
        self.counts.append(len(data))
        return data

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.f.close()


@pytest.mark.parametrize("grown, fits", [(8, True), (10, True), (11, False), (1000, False)])
def test_a_file_that_grew_after_fstat_is_read_to_limit_plus_one_bytes_at_most(tmp_path, monkeypatch, grown, fits):
    path = tmp_path / "grows"
    path.write_bytes(b"y" * grown)
    real_fstat, real_fdopen, counts = os.fstat, os.fdopen, []

    def small_fstat(fd):  # fstat as it was when the file held 5 bytes
        info = real_fstat(fd)
        return os.stat_result((info.st_mode, *info[1:6], 5, *info[7:]))

    with monkeypatch.context() as m:
        m.setattr(input_file.os, "fstat", small_fstat)
        m.setattr(input_file.os, "fdopen", lambda fd, mode: _CountingReader(real_fdopen(fd, mode), counts))
        if fits:
            assert read_limited(path, 10) == b"y" * grown
        else:
            with pytest.raises(TooLargeError) as e:
                read_limited(path, 10)
            assert e.value.size is None
    assert sum(counts) == min(grown, 11)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(size=st.integers(0, 300), limit=st.integers(0, 300))
def test_read_limited_returns_a_file_exactly_when_it_fits(tmp_path, size, limit):
    path = tmp_path / "f"
    path.write_bytes(b"z" * size)
    if size <= limit:
        assert read_limited(path, limit) == b"z" * size
    else:
        with pytest.raises(TooLargeError):
            read_limited(path, limit)


# ----------------------------------------------------------------------------- every engine reader


def _csv(path):
    return read_table_csv(path, **CLI)


def _wtq_table(path):
    return read_wtq_table(path.with_suffix(".csv"))


def _questions(path):
    return list(iter_questions(path))


READERS = {  # reader -> (the error it raises, its message's words before the reason)
    _csv: ("InputError", "cannot read it ("),
    read_jsonl: ("InputError", "cannot read it ("),
    load_checkpoint: ("CheckpointError", "cannot read checkpoint"),
    read_checkpoint_info: ("CheckpointError", "cannot read checkpoint"),
    _questions: ("InputError", "cannot read it ("),
    _wtq_table: ("InputError", "cannot read it ("),
}


@pytest.mark.parametrize("kind, make", SPECIAL)
@pytest.mark.parametrize("reader", list(READERS), ids=lambda r: r.__name__.strip("_"))
def test_every_engine_reader_refuses_special_files_at_once(tmp_path, kind, make, reader):
    path = make(tmp_path / "input.csv")
    outcome = attempt(lambda: reader(path))
    error, words = READERS[reader]
    assert outcome.raised(error), outcome
    assert words in outcome.message and WHAT[kind] in outcome.message and outcome.seconds < QUICK_SECONDS


@pytest.mark.parametrize("kind, make", SPECIAL)
def test_the_baselines_figures_file_is_read_only_when_regular(tmp_path, kind, make):
    outcome = attempt(lambda: measured_accuracy(make(tmp_path / "baselines.json")))
    assert outcome.kind == "returned" and outcome.value is None and outcome.seconds < QUICK_SECONDS, outcome


def test_a_jsonl_file_is_counted_while_streamed(tmp_path):
    path = tmp_path / "x.jsonl"
    path.write_text('{"columns": ["A"], "rows": [[1]], "question": "sum A"}\n' * 3)
    assert len(read_jsonl(path, max_bytes=path.stat().st_size)) == 3
    with pytest.raises(InputError, match="the limit is 10"):
        read_jsonl(path, max_bytes=10)

