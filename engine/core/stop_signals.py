"""How a long command (a sweep) is told to stop: Ctrl-C, SIGTERM, or the end of the process that started it.

Each becomes a KeyboardInterrupt in the main thread, so the command's own clean-up runs (Ray shut down, summary
rewritten). SIGINT may arrive ignored (a background process of a shell without job control inherits SIG_IGN), yet
Ctrl-C must work; SIGTERM (a host's `kill`) would end Python without clean-up (once Ray is started its handler
takes SIGTERM over and skips the summary: supervisors should send SIGINT first); a sweep the app starts runs in
its own session, so with `parent_pid` it stops itself when the server that started it is gone.
"""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager

PARENT_POLL_SECONDS = 1.0


def _interrupt(signum, frame) -> None:
    raise KeyboardInterrupt


def _watch_parent(parent_pid: int, done: threading.Event) -> None:
    """SIGINT (Ray's SIGTERM handler would abort) to this process once its parent is no longer `parent_pid`."""
    while not done.wait(PARENT_POLL_SECONDS):
        if os.getppid() != parent_pid:
            os.kill(os.getpid(), signal.SIGINT)
            return


@contextmanager
def stop_on_signals(parent_pid: int | None = None) -> Iterator[None]:
    """While the block runs (in the main thread): SIGINT, SIGTERM and the end of process `parent_pid` (if given)
    raise KeyboardInterrupt. The previous handlers come back afterwards."""
    previous = {sig: signal.signal(sig, _interrupt) for sig in (signal.SIGINT, signal.SIGTERM)}
    done = threading.Event()
    try:
        if parent_pid is not None:
            if os.getppid() != parent_pid:  # gone before we started watching
                raise KeyboardInterrupt
            threading.Thread(target=_watch_parent, args=(parent_pid, done), daemon=True, name="parent-watch").start()
        yield
    finally:
        done.set()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
