"""How a long command (a sweep) is told to stop: Ctrl-C, SIGTERM, or the end of the process that started it.

Each becomes a KeyboardInterrupt in the main thread, so the command's own clean-up runs (a sweep shuts its Ray
processes down and rewrites its summary). Why all three:
- SIGINT may arrive ignored: a process started in the background by a shell without job control inherits
  SIG_IGN for it, and Python then leaves it ignored; Ctrl-C must still work.
- SIGTERM is what a host's `kill` sends; by default it would end Python without any clean-up. (Once Ray is
  started in this process its own handler takes SIGTERM over and aborts, which still ends Ray's processes but
  skips the summary: supervisors should send SIGINT first.)
- A sweep started by the app runs in its own session, so it would outlive a server that died without asking
  it to stop; with `parent_pid` it watches its parent and stops itself when it is gone.
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
    """SIGINT to this process once its parent is no longer `parent_pid` (it ended; we were re-parented).
    SIGINT, not SIGTERM: Ray, once started, replaces the SIGTERM handler with one that aborts the process."""
    while not done.wait(PARENT_POLL_SECONDS):
        if os.getppid() != parent_pid:
            os.kill(os.getpid(), signal.SIGINT)
            return


@contextmanager
def stop_on_signals(parent_pid: int | None = None) -> Iterator[None]:
    """While the block runs (in the main thread): SIGINT and SIGTERM raise KeyboardInterrupt, and when
    `parent_pid` is given and that process ends, the block is interrupted the same way. The previous
    handlers come back afterwards."""
    previous = {sig: signal.signal(sig, _interrupt) for sig in (signal.SIGINT, signal.SIGTERM)}
    done = threading.Event()
    if parent_pid is not None:
        if os.getppid() != parent_pid:  # gone before we started watching
            done.set()
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            raise KeyboardInterrupt
        threading.Thread(target=_watch_parent, args=(parent_pid, done), daemon=True, name="parent-watch").start()
    try:
        yield
    finally:
        done.set()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
