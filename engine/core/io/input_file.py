"""Opening a file the program did not create: never block, never read past a limit, regular files only.

A path a user (or a folder a user filled) names may be a FIFO, a device, a directory or a symlink to any of
them. `open()` on a FIFO waits for a writer forever; `/dev/zero` reports size 0 and never ends; so a check
of `stat()` before `open()` proves nothing (and the name can be swapped between the two). Here:

- the path is opened with O_NONBLOCK (a FIFO opens at once, no writer needed), O_NOCTTY (a terminal never
  becomes ours) and O_CLOEXEC (a child process never inherits it);
- what was opened is judged by `os.fstat` on that descriptor: only a regular file is read;
- at most `limit + 1` bytes are read, so a file that grows after fstat is still caught.

`os.stat` is also asked first, only to avoid opening a device at all (opening some devices does something:
a tape rewinds); fstat after opening is what decides.

Every refusal is an OSError subclass whose `strerror` completes a sentence ("…: a FIFO, not a regular
file"), so a caller that reports `e.strerror` of any OSError needs no new branch. Plain Python: no torch.
"""

from __future__ import annotations

import errno
import fcntl
import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from typing import BinaryIO

__all__ = ["InputFileError", "NotRegularFileError", "DirectoryError", "TooLargeError", "open_file", "open_input",
           "read_limited"]

_OPEN_FLAGS = os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC


class InputFileError(OSError):
    """A file refused before or while reading it; `strerror` says why in a few words."""


class NotRegularFileError(InputFileError):
    """The path is a directory, FIFO, socket or device (through any symlinks), not a regular file."""


class DirectoryError(NotRegularFileError, IsADirectoryError):
    """The path is a directory: also an IsADirectoryError, so `except IsADirectoryError` keeps working."""


class TooLargeError(InputFileError):
    """The file is over the caller's limit; `size` is its size when fstat showed it, else None (it grew)."""

    def __init__(self, path, limit: int, size: int | None = None):
        super().__init__(errno.EFBIG, f"over the limit of {limit:,} bytes", str(path))
        self.limit, self.size = limit, size


def _kind(mode: int) -> str | None:
    """Why a file of this mode is refused, or None for a regular file."""
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a FIFO, not a regular file"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device, not a regular file"
    if stat.S_ISSOCK(mode):
        return "a socket, not a regular file"
    return "not a regular file"


def _refuse(path, mode: int) -> None:
    why = _kind(mode)
    if stat.S_ISDIR(mode):
        raise DirectoryError(errno.EISDIR, why, str(path))
    if why is not None:
        raise NotRegularFileError(errno.EINVAL, why, str(path))


def _open_regular(path) -> tuple[int, int]:
    """(a blocking read-only descriptor of the regular file at `path`, its size); the caller closes it."""
    _refuse(path, os.stat(path).st_mode)  # not even opened when it already looks like a device or FIFO
    fd = os.open(path, _OPEN_FLAGS)
    try:
        info = os.fstat(fd)  # the file actually opened: a symlink swapped since stat cannot slip past
        _refuse(path, info.st_mode)
        # reads of a regular file never block anyway; cleared so that the file object behaves as open()'s
        fcntl.fcntl(fd, fcntl.F_SETFL, fcntl.fcntl(fd, fcntl.F_GETFL) & ~os.O_NONBLOCK)
    except BaseException:
        os.close(fd)
        raise
    return fd, info.st_size


def open_file(path: str | os.PathLike, limit: int | None = None) -> tuple[BinaryIO, int]:
    """(binary file object, its size by fstat) of the regular file at `path`; the caller closes it (it is a
    context manager). With `limit`, a file whose fstat size is over it raises TooLargeError before any byte is
    read; a streaming reader should still count what it reads (the file may grow). OSError
    (FileNotFoundError, NotRegularFileError, …) when the path cannot be opened as a regular file."""
    fd, size = _open_regular(path)
    try:
        if limit is not None and size > limit:
            raise TooLargeError(path, limit, size)
        return os.fdopen(fd, "rb"), size
    except BaseException:
        os.close(fd)
        raise


@contextmanager
def open_input(path: str | os.PathLike, limit: int | None = None) -> Iterator[tuple[BinaryIO, int]]:
    """open_file as a context manager: (file object, fstat size), the file closed on exit."""
    f, size = open_file(path, limit)
    with f:
        yield f, size


def read_limited(path: str | os.PathLike, limit: int) -> bytes:
    """The whole regular file at `path`, reading at most `limit + 1` bytes: TooLargeError when it holds more
    than `limit` (by fstat, or by what was read when it grew), other OSErrors as open_input."""
    with open_input(path, limit) as (f, size):
        # sized by fstat, not by the limit: read(n) allocates n bytes up front. One byte more than fstat's
        # size shows a file that grew since; then read on, to limit + 1 bytes in all
        raw = f.read(size + 1)
        if len(raw) > size:
            raw += f.read(limit + 1 - len(raw))
    if len(raw) > limit:
        raise TooLargeError(path, limit)
    return raw

