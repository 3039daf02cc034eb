"""Special files where a program expects a regular one, and a way to try a read on them without risk.

A reader that regresses on these does harm, not just fail: on a FIFO it blocks forever, on /dev/zero it eats
memory until the machine swaps. So `attempt` runs the read in a forked child with a memory cap (RLIMIT_DATA,
256 MB above what the child starts with) and a deadline, kills the child if it is still going, and reports
what happened: a regression fails the test instead of hanging or starving the machine the suite runs on.
"""

from __future__ import annotations

import multiprocessing
import os
import resource
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

DEADLINE_SECONDS = 5.0  # the child is killed after this; a fixed reader answers in milliseconds
QUICK_SECONDS = 1.0  # what "refused quickly" means for the call itself
MEMORY_HEADROOM = 256 * 2**20
DEVICE = Path("/dev/zero")  # size 0 by stat, endless when read


def make_fifo(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    os.mkfifo(path)
    return path


def make_device_link(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.symlink_to(DEVICE)
    return path


# the two special files each reader is tried on: (name, how to make one at a path)
SPECIAL = [("fifo", make_fifo), ("dev-zero-link", make_device_link)]


@dataclass
class Outcome:
    """What a call did in the child: returned (value), raised (error class names, message) or never ended."""

    kind: str  # "returned", "raised", "timeout" or "died"
    value: object = None
    errors: tuple[str, ...] = ()  # the raised exception's class and its bases, by name
    message: str = ""
    seconds: float = 0.0

    def raised(self, name: str) -> bool:
        return self.kind == "raised" and name in self.errors


def _cap_memory() -> None:
    with open("/proc/self/status", encoding="ascii") as f:
        data_kb = next(int(line.split()[1]) for line in f if line.startswith("VmData:"))
    soft, hard = resource.getrlimit(resource.RLIMIT_DATA)
    cap = data_kb * 1024 + MEMORY_HEADROOM
    resource.setrlimit(resource.RLIMIT_DATA, (cap if hard == resource.RLIM_INFINITY else min(cap, hard), hard))


def _child(send, call: Callable[[], object]) -> None:
    _cap_memory()
    start = time.perf_counter()
    try:
        value = call()
    except BaseException as e:  # noqa: BLE001 - every outcome goes back to the test, MemoryError included
        names = tuple(c.__name__ for c in type(e).__mro__)
        send.send(Outcome("raised", None, names, str(e)[:2000], time.perf_counter() - start))
    else:
        send.send(Outcome("returned", value, seconds=time.perf_counter() - start))


def attempt(call: Callable[[], object]) -> Outcome:
    """Run `call` (no arguments; its return value must pickle) in a forked child: its Outcome, "timeout" when
    it was still running at the deadline (it is killed), "died" when it ended without a word."""
    context = multiprocessing.get_context("fork")  # the child shares the test's imports and closures
    receive, send = context.Pipe(duplex=False)
    child = context.Process(target=_child, args=(send, call), daemon=True)
    child.start()
    send.close()
    try:
        if receive.poll(DEADLINE_SECONDS):
            try:
                return receive.recv()
            except EOFError:
                return Outcome("died")
        return Outcome("timeout")
    finally:
        child.kill()
        child.join()
        receive.close()
