"""A Progress that stops its run after a given step, as Ctrl-C would there (the resume tests of both families)."""

from __future__ import annotations

import threading

from engine.core.progress import Progress


class StopAfter(Progress):
    """Sets `stop` once step `n` is done: the shared loop then ends before step n + 1."""

    def __init__(self, n: int, stop: threading.Event):
        super().__init__()
        self.n, self.stop = n, stop

    def add_loss(self, step, loss):
        super().add_loss(step, loss)
        if step >= self.n:
            self.stop.set()
