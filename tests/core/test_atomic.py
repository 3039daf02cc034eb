"""engine.core.io.atomic: concurrent writers of one path, errors mid-write, unwritable directories."""

import os
import stat
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.core.io.atomic import atomic_writer, write_atomic

ROOT = Path(__file__).resolve().parents[2]
SIZE = 256 * 1024  # large enough that one write() is not one page: a shared temp file would interleave


def payload(i: int) -> bytes:
    """A distinct, recognisable payload per writer: its number, then its byte repeated."""
    return f"writer {i}\n".encode() + bytes([65 + i]) * SIZE


def leftovers(directory: Path, target: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if p != target)


def hammer_with_threads(path: Path, writers: int, rounds: int) -> tuple[set[bytes], list[BaseException]]:
    """`writers` threads each write their payload `rounds` times while this thread keeps reading."""
    payloads = [payload(i) for i in range(writers)]
    errors: list[BaseException] = []
    seen: set[bytes] = set()
    start = threading.Barrier(writers + 1)

    def write(i):
        try:
            start.wait()
            for _ in range(rounds):
                write_atomic(path, payloads[i])
        except BaseException as e:  # collected and asserted on below, so no failure is lost
            errors.append(e)

    threads = [threading.Thread(target=write, args=(i,)) for i in range(writers)]
    for t in threads:
        t.start()
    start.wait()
    while any(t.is_alive() for t in threads):
        if path.exists():
            seen.add(path.read_bytes())
    for t in threads:
        t.join()
    seen.add(path.read_bytes())
    return seen - set(payloads), errors


@pytest.mark.parametrize("writers,rounds", [(2, 60), (8, 15)])
def test_concurrent_threads_leave_exactly_one_payload(tmp_path, writers, rounds):
    path = tmp_path / "model.safetensors"
    mixed, errors = hammer_with_threads(path, writers, rounds)
    assert errors == []
    assert mixed == set(), f"{len(mixed)} reads were not any single writer's payload"
    assert path.read_bytes() in {payload(i) for i in range(writers)}
    assert leftovers(tmp_path, path) == []


WRITER_SCRIPT = """
import sys
from engine.core.io.atomic import write_atomic
i, rounds, path, size = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
data = f"writer {i}\\n".encode() + bytes([65 + i]) * size
for _ in range(rounds):
    write_atomic(path, data)
"""


def test_concurrent_processes_leave_exactly_one_payload(tmp_path):
    path = tmp_path / "runs.jsonl"
    procs = [subprocess.Popen([sys.executable, "-c", WRITER_SCRIPT, str(i), "60", str(path), str(SIZE)],
                              cwd=ROOT, stderr=subprocess.PIPE) for i in range(2)]
    seen = set()
    while any(p.poll() is None for p in procs):
        if path.exists():
            seen.add(path.read_bytes())
    for p in procs:
        assert p.wait() == 0, p.stderr.read().decode()
        p.stderr.close()
    seen.add(path.read_bytes())
    assert seen - {payload(0), payload(1)} == set()
    assert leftovers(tmp_path, path) == []


class Boom(Exception):
    pass


@pytest.mark.parametrize("error", [Boom, KeyboardInterrupt])
def test_error_mid_write_keeps_old_file_and_removes_temp(tmp_path, error):
    path = tmp_path / "best.safetensors"
    write_atomic(path, b"old and good")
    with pytest.raises(error), atomic_writer(path, "wb") as f:
        f.write(b"half of a new")
        raise error()
    assert path.read_bytes() == b"old and good"
    assert leftovers(tmp_path, path) == []


def test_error_before_any_target_leaves_nothing(tmp_path):
    path = tmp_path / "new.jsonl"
    with pytest.raises(Boom), atomic_writer(path) as f:
        f.write("line\n")
        raise Boom()
    assert list(tmp_path.iterdir()) == []


def test_text_and_bytes_round_trip_with_ordinary_mode(tmp_path):
    text = tmp_path / "sub" / "dir" / "out.jsonl"  # missing parents are created
    write_atomic(text, "é\r\n{}\n")
    assert text.read_bytes() == "é\r\n{}\n".encode()  # newlines written as given
    with atomic_writer(tmp_path / "streamed.txt") as f:
        for i in range(3):
            f.write(f"{i}\n")
    assert (tmp_path / "streamed.txt").read_text() == "0\n1\n2\n"
    umask = os.umask(0o022)
    os.umask(umask)
    assert stat.S_IMODE(text.stat().st_mode) == 0o666 & ~umask  # not mkstemp's private 0600


def test_bad_arguments_are_refused(tmp_path):
    with pytest.raises(TypeError, match="bytes or str"):
        write_atomic(tmp_path / "x", 3)
    with pytest.raises(ValueError, match="mode"), atomic_writer(tmp_path / "x", "a"):
        pass
    assert list(tmp_path.iterdir()) == []


def test_target_that_is_a_directory_keeps_it_and_leaves_no_temp(tmp_path):
    (tmp_path / "taken").mkdir()
    with pytest.raises(IsADirectoryError):
        write_atomic(tmp_path / "taken", b"x")
    assert leftovers(tmp_path, tmp_path / "taken") == []


def test_parent_that_is_a_file_gives_a_clear_oserror(tmp_path):
    (tmp_path / "plain").write_text("a file")
    with pytest.raises(OSError, match=r"cannot write .*plain/out\.jsonl"):
        write_atomic(tmp_path / "plain" / "out.jsonl", "x")


def test_read_only_directory_gives_a_clear_oserror():
    """As root, permissions do not bind, so the write is attempted as the unprivileged user `nobody`."""
    base = Path(tempfile.mkdtemp(prefix="atomic-ro-"))
    locked = base / "locked"
    locked.mkdir()
    (locked / "kept.jsonl").write_text("kept\n")
    os.chmod(base, 0o755)
    os.chmod(locked, 0o555)
    as_root = os.geteuid() == 0
    try:
        if as_root:
            os.seteuid(65534)
        with pytest.raises(PermissionError, match=r"cannot write .*locked/kept\.jsonl: Permission denied"):
            write_atomic(locked / "kept.jsonl", "new\n")
    finally:
        if as_root:
            os.seteuid(0)
        os.chmod(locked, 0o755)
        assert (locked / "kept.jsonl").read_text() == "kept\n"
        assert sorted(p.name for p in locked.iterdir()) == ["kept.jsonl"]
        (locked / "kept.jsonl").unlink()
        locked.rmdir()
        base.rmdir()


@settings(max_examples=60, deadline=None)
@given(data=st.one_of(st.binary(max_size=2048), st.text(max_size=512)))
def test_any_payload_round_trips(tmp_path_factory, data):
    path = tmp_path_factory.mktemp("rt") / "f"
    write_atomic(path, data)
    assert path.read_bytes() == (data.encode() if isinstance(data, str) else data)
    assert leftovers(path.parent, path) == []
