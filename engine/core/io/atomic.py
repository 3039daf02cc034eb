"""The one way this project writes a file: a unique temp file beside the target, fsync, rename.

A reader (or a concurrent writer) of the target sees either the old file or one complete new file, never a mix:
every writer has its own temp file (`tempfile.mkstemp`) and `os.replace` swaps the name in one step. On any
error, Ctrl-C included, the temp file is removed and the old target is left as it was.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO


def _read_umask() -> int:
    """The process umask, read once. Linux reports it in /proc; elsewhere it can only be read by setting
    it, which for a moment would give files other threads create a different mode."""
    with contextlib.suppress(OSError, ValueError, IndexError, StopIteration):
        with open("/proc/self/status", encoding="ascii", errors="replace") as f:
            return next(int(line.split()[1], 8) for line in f if line.startswith("Umask:"))
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


# mkstemp creates files 0600; a checkpoint or JSONL written here should get the ordinary mode a plain
# open() would have given it, so other users of a shared server can read what was written.
_FILE_MODE = 0o666 & ~_read_umask()


def _fsync_directory(directory: Path) -> None:
    """Make the rename itself durable; not every platform or file system can open a directory."""
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


@contextlib.contextmanager
def atomic_writer(path, mode: str = "w", encoding: str = "utf-8") -> Iterator[IO]:
    """Stream into `path` atomically: `mode` "w" (text, newlines written as given) or "wb". The target appears
    only when the block ends without an exception; otherwise the old target is untouched."""
    if mode not in ("w", "wb"):
        raise ValueError(f"atomic_writer mode must be 'w' or 'wb', not {mode!r}")
    path = Path(path)
    try:  # a new, uniquely named temp file beside the target; the message names the target
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    except OSError as e:
        raise type(e)(e.errno, f"cannot write {path}: {e.strerror or e} (directory {path.parent})") from e
    tmp = Path(tmp)
    try:
        f = os.fdopen(fd, "wb") if mode == "wb" else os.fdopen(fd, "w", encoding=encoding, newline="")
    except BaseException:
        os.close(fd)
        tmp.unlink(missing_ok=True)
        raise
    try:
        with f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, _FILE_MODE)
        os.replace(tmp, path)
    except BaseException:  # also KeyboardInterrupt / SystemExit: never leave the temp file behind
        tmp.unlink(missing_ok=True)
        raise
    _fsync_directory(path.parent)


def write_atomic(path, data: bytes | str, encoding: str = "utf-8") -> Path:
    """Write `data` (bytes, or text in `encoding`) to `path` atomically; returns the path."""
    if isinstance(data, str):
        data = data.encode(encoding)
    elif not isinstance(data, (bytes, bytearray, memoryview)):
        raise TypeError(f"write_atomic needs bytes or str, not {type(data).__name__}")
    with atomic_writer(path, "wb") as f:
        f.write(data)
    return Path(path)
