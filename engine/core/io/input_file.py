"""Opening a file the program did not create: never block, never read past a limit, regular files only.

A user's path may be a FIFO (open() waits for a writer for ever), a device (/dev/zero never ends), a directory
or a symlink to any of them, and a stat() before open() proves nothing (the name can be swapped). So the path is
opened with O_NONBLOCK, O_NOCTTY and O_CLOEXEC, judged by fstat on that descriptor (only a regular file is read),
and read to at most `limit + 1` bytes, which catches a file that grows after fstat. `os.stat` is asked first only
to avoid opening a device at all (opening some devices does something: a tape rewinds). Every refusal is an
OSError whose `strerror` completes a sentence ("…: a FIFO, not a regular file"). Plain Python: no torch.
"""

from __future__ import annotations

import errno
import fcntl
import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from typing import BinaryIO

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


_REFUSED = ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a FIFO, not a regular file"),
            (stat.S_ISCHR, "a device, not a regular file"), (stat.S_ISBLK, "a device, not a regular file"),
            (stat.S_ISSOCK, "a socket, not a regular file"))


def _refuse(path, mode: int) -> None:
    """Raise unless `mode` is a regular file's, saying what it is."""
    if stat.S_ISREG(mode):
        return
    why = next((why for test, why in _REFUSED if test(mode)), "not a regular file")
    if stat.S_ISDIR(mode):
        raise DirectoryError(errno.EISDIR, why, str(path))
    raise NotRegularFileError(errno.EINVAL, why, str(path))


def open_file(path: str | os.PathLike, limit: int | None = None) -> tuple[BinaryIO, int]:
    """(binary file object, its size by fstat) of the regular file at `path`, for the caller to close. With
    `limit`, TooLargeError for a larger fstat size before any byte is read (a streaming reader should still count
    what it reads: the file may grow). OSError when the path cannot be opened as a regular file."""
    _refuse(path, os.stat(path).st_mode)  # not even opened when it already looks like a device or FIFO
    fd = os.open(path, _OPEN_FLAGS)
    try:
        info = os.fstat(fd)  # the file actually opened: a symlink swapped since stat cannot slip past
        _refuse(path, info.st_mode)
        if limit is not None and info.st_size > limit:
            raise TooLargeError(path, limit, info.st_size)
        # reads of a regular file never block anyway; cleared so that the file object behaves as open()'s
        fcntl.fcntl(fd, fcntl.F_SETFL, fcntl.fcntl(fd, fcntl.F_GETFL) & ~os.O_NONBLOCK)
        return os.fdopen(fd, "rb"), info.st_size
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

