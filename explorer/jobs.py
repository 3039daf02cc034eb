"""Every background job the page server starts (training runs, small sweeps, Programs evaluations): one
registry, one owner rule, one cap and one reaper.

A job belongs to the browser holding its owner token (kept in the session and the Train page's `run` URL
parameter, so a reloaded page finds its jobs); an owner has at most one job of each kind. The owner's pages
`touch` their jobs; a reaper stops the jobs of an owner unseen for `owner_timeout()` seconds, so a closed tab
never holds a core. At most MAX_ACTIVE_JOBS counted jobs run on the server (a kind may cap itself lower).
"""

from __future__ import annotations

import atexit
import logging
import os
import re
import secrets
import threading
import time
from contextlib import suppress
from dataclasses import dataclass, field
from typing import ClassVar

MAX_ACTIVE_JOBS = 2  # running training runs and small sweeps on the whole server (two cores)
# seconds without a sign of the owner before its jobs are stopped: the owner's pages beat every 1-5 s, and a
# closed tab's job must give its core back within a minute (the reaper adds at most 5 s, a stop a few more)
DEFAULT_OWNER_TIMEOUT = 40.0
OWNER_TIMEOUT_ENV = "NPX_OWNER_TIMEOUT"
OWNER_TOKEN = re.compile(r"[0-9a-f]{32}")
NICENESS = 10  # every job's priority: the people asking questions come first
EXIT_WAIT_SECONDS = 10.0  # at the server's exit, for every running job together to end
log = logging.getLogger(__name__)


class JobRefused(RuntimeError):
    """A job was not started; the message says why and what to do."""


def owner_timeout() -> float:
    """DEFAULT_OWNER_TIMEOUT seconds, or NPX_OWNER_TIMEOUT (read on every use, so tests can shorten it)."""
    try:
        value = float(os.environ.get(OWNER_TIMEOUT_ENV, DEFAULT_OWNER_TIMEOUT))
    except ValueError:
        return DEFAULT_OWNER_TIMEOUT
    return value if value > 0 else DEFAULT_OWNER_TIMEOUT


def new_owner() -> str:
    return secrets.token_hex(16)


def valid_owner(token) -> bool:
    return isinstance(token, str) and OWNER_TOKEN.fullmatch(token) is not None


def lower_thread_priority() -> None:
    """Give the calling thread NICENESS. Linux schedules threads one by one, so the server's other threads
    (every session's page runs) keep answering quickly while jobs use both cores."""
    with suppress(AttributeError, OSError):  # not Linux, or not permitted: the job just keeps normal priority
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), NICENESS)


@dataclass(eq=False, kw_only=True)
class Job:
    """What the registry needs of a job. Subclasses set `kind` and `counted` and have an `owner` field."""

    kind: ClassVar[str] = "job"
    counted: ClassVar[bool] = True  # counts toward MAX_ACTIVE_JOBS
    stop_reason: str | None = None  # who stopped it: "you" (Stop) or why the server did, for the page
    last_seen: float = field(default_factory=time.monotonic)  # the owner's last sign of life
    started: float = field(default_factory=time.time)

    @property
    def running(self) -> bool:
        raise NotImplementedError

    @property
    def stop_requested(self) -> bool:
        raise NotImplementedError

    def begin(self) -> None:
        """Start the work (called with the registry's lock held: alive before the next start counts)."""
        raise NotImplementedError

    def request_stop(self, reason: str) -> None:
        """Ask the work to end soon (it keeps what it can); `reason` says who asked, for the page."""
        raise NotImplementedError

    def wait(self, timeout: float) -> None:
        """Wait at most `timeout` seconds for the work to end."""
        raise NotImplementedError


@dataclass(eq=False, kw_only=True)
class ThreadJob(Job):
    """A job whose work runs in the thread `thread` (made by its starter, started by begin()) and ends soon
    after the event `stop` is set: evaluations, and training runs (whose thread follows their worker process)."""

    stop: threading.Event = field(default_factory=threading.Event)
    thread: threading.Thread | None = None
    error: str | None = None  # why the work failed (an exception)
    finished: float | None = None  # when the work ended (time.time())

    @property
    def running(self) -> bool:
        return self.thread is not None and self.thread.is_alive()

    @property
    def stop_requested(self) -> bool:
        return self.stop.is_set()

    def begin(self) -> None:
        self.thread.start()

    def request_stop(self, reason: str) -> None:
        if not self.stop.is_set():
            self.stop_reason = reason
        self.stop.set()

    def wait(self, timeout: float) -> None:
        if self.thread is not None and self.thread.ident is not None:
            self.thread.join(timeout)


_lock = threading.Lock()
_jobs: dict[tuple[str, str], Job] = {}  # (owner token, kind) -> that owner's latest job of that kind
_reaper: threading.Thread | None = None
_wake = threading.Event()


def _reap_locked(now: float) -> None:
    """Stop running jobs whose owner is gone; forget finished ones (call with _lock held)."""
    limit = owner_timeout()
    for key, job in list(_jobs.items()):
        if now - job.last_seen <= limit:
            continue
        if job.running:
            if not job.stop_requested:
                log.info("stopping %s of %s: owner gone", job.kind, key[0][:6])
                job.request_stop(f"its page was closed ({limit:g} s without a sign of it)")
        else:
            del _jobs[key]


def _reap_loop() -> None:
    """Reap every quarter of the timeout (at most 5 s) until no job is left (register() starts a new reaper)."""
    global _reaper
    while True:
        _wake.wait(min(max(owner_timeout() / 4, 0.05), 5.0))
        _wake.clear()
        with _lock:
            _reap_locked(time.monotonic())
            if not _jobs:
                _reaper = None
                return


def _running_locked(kind: str | None = None) -> list[Job]:
    """The running jobs: of `kind`, or the counted ones of every kind (call with _lock held)."""
    return [j for j in _jobs.values() if j.running and (j.kind == kind if kind else j.counted)]


def register(job: Job, *, kind_limit: int | None = None, noun: str = "job") -> Job:
    """Start `job` for its owner and keep it; JobRefused (`noun` names one) when the owner's job of this kind, or
    `kind_limit` jobs of its kind, or MAX_ACTIVE_JOBS counted jobs (if `job` counts) are running."""
    global _reaper
    if not valid_owner(job.owner):
        raise JobRefused("this page has no valid run token: reload the page")
    with _lock:  # one acquisition: the caps are checked and the job started together
        _reap_locked(time.monotonic())
        mine = _jobs.get((job.owner, job.kind))
        if mine is not None and mine.running:
            raise JobRefused(f"your {noun} is still going: stop it before starting another")
        same_kind = len(_running_locked(job.kind))
        if kind_limit is not None and same_kind >= kind_limit:
            raise JobRefused(f"{same_kind} {noun}(s) already going on this server (the limit is {kind_limit}): "
                             "wait for one to end and start again")
        active = len(_running_locked())
        if job.counted and active >= MAX_ACTIVE_JOBS:
            raise JobRefused(f"{active} jobs (training runs and small sweeps) are already going on this server "
                             f"(the limit is {MAX_ACTIVE_JOBS}): wait for one to finish and start again")
        job.last_seen = time.monotonic()
        job.begin()
        _jobs[(job.owner, job.kind)] = job
        _wake.set()  # a running reaper re-reads the timeout now rather than after its current wait
        if _reaper is None or not _reaper.is_alive():
            _reaper = threading.Thread(target=_reap_loop, daemon=True, name="job-reaper")
            _reaper.start()
    return job


def find(owner: str | None, kind: str) -> Job | None:
    """The owner's latest job of `kind`, if the server still has it."""
    if not valid_owner(owner):
        return None
    with _lock:
        _reap_locked(time.monotonic())
        return _jobs.get((owner, kind))


def touch(owner: str | None, kind: str | None = None) -> Job | None:
    """The owner is still there (a page of theirs ran): keep every job of theirs alive; their job of `kind`."""
    if not valid_owner(owner):
        return None
    with _lock:
        now = time.monotonic()
        for (who, _), job in _jobs.items():
            if who == owner:
                job.last_seen = now  # before reaping: the owner is here now, however long it was away
        _reap_locked(now)
        return _jobs.get((owner, kind)) if kind else None


def stop(owner: str | None, kind: str, reason: str = "you stopped it") -> bool:
    """Ask the owner's running job of `kind` to stop; False when none runs."""
    job = find(owner, kind)
    if job is None or not job.running:
        return False
    job.request_stop(reason)
    return True


def running(kind: str | None = None) -> list[Job]:
    """The running jobs (of `kind`, or the counted ones of every kind)."""
    with _lock:
        return _running_locked(kind)


def running_count() -> int:
    return len(running())


def owner_jobs(owner: str | None) -> list[Job]:
    """Every job the server holds for the owner, running or finished, every kind (the sidebar beats for them)."""
    if not valid_owner(owner):
        return []
    with _lock:
        return [j for (who, _), j in _jobs.items() if who == owner]


def owner_running(owner: str | None) -> list[Job]:
    """The owner's running jobs, every kind (for the sidebar's line on every page)."""
    return [j for j in owner_jobs(owner) if j.running]


def forget_all() -> list[Job]:
    """Empty the registry and return what it held (tests: nothing leaks into the next test)."""
    with _lock:
        held = list(_jobs.values())
        _jobs.clear()
    return held


@atexit.register
def _stop_all_on_exit() -> None:
    """When the server exits, every running job is asked to stop (a run's worker process saves its best model, a
    sweep gets Ctrl-C and keeps its records, an evaluation ends after its batch) and they get EXIT_WAIT_SECONDS
    together to end. Torch's threads killed in the middle of an evaluation's batch abort the exit ("terminate
    called without an active exception"), and a sweep runs in a session of its own, so it would outlive the server
    (if the server is killed, the sweep's --parent-pid watch stops it, and a training worker sees its pipe end)."""
    with _lock:
        going = [job for job in _jobs.values() if job.running]
    for job in going:
        job.request_stop("the server is stopping")
    deadline = time.monotonic() + EXIT_WAIT_SECONDS
    for job in going:
        job.wait(max(0.0, deadline - time.monotonic()))
