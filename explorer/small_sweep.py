"""The Train page's small sweep: one hyper-parameter over a few values, a few seeds, a short budget, run as a
background `python -m engine sweep` process. It is a job of the server's one registry (explorer/jobs.py),
capped to one at a time; stopping it ends its whole session of processes, Ray's included. Its directory under
sweeps.own_root() is reused for the same settings, so the engine resumes from the records already there.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from contextlib import suppress
from dataclasses import asdict, dataclass
from functools import partial
from pathlib import Path

from engine.core.io.atomic import write_atomic
from engine.core.io.input_file import open_input, read_limited
from engine.core.settings import settings
from engine.np2016 import presets
from engine.np2016.config import TrainConfig
from engine.np2016.data import tasks as data
from engine.sweep.spec import positive_int
from explorer import jobs, sweeps

VARY = ("lr", "clip", "noise_eta", "huber_delta", "lookup_weight", "adam_eps", "grad_noise")
MIN_VALUES, MAX_VALUES, MAX_SEEDS, MAX_STEPS, MAX_RUNS = 2, 4, 3, 2000, 24
GRID, SETTINGS = "grid.json", "launcher.json"  # the launcher's own files in a sweep directory
SETTINGS_MAX_BYTES = 10_000  # launcher.json: a few settings (a larger file there is not ours)
STOP_GRACE_SECONDS = 8.0  # after Ctrl-C (then SIGTERM), the sweep gets this long before the next signal;
# Ctrl-C ends a small sweep, Ray included, in about 2.5 s on this machine
_directory_lock = threading.Lock()


def parse_values(name: str, text: str) -> tuple:
    """Comma-separated values of the hyper-parameter `name`, typed and range-checked (SweepError if not)."""
    if name not in VARY:
        raise sweeps.SweepError(f"{name!r} cannot be varied here: one of {', '.join(VARY)}")
    setting = next(s for s in settings(TrainConfig) if s.name == name)
    values = []
    for item in (t for t in text.split(",") if t.strip()):
        try:
            value = setting.parse(item)
            setting.check(value)
        except ValueError as e:
            raise sweeps.SweepError(str(e)) from None
        if value not in values:
            values.append(value)
    if not MIN_VALUES <= len(values) <= MAX_VALUES:
        raise sweeps.SweepError(f"give {MIN_VALUES} to {MAX_VALUES} different values of {name}, got {len(values)}")
    return tuple(values)


# data sizes of a small sweep (the Train page's own defaults): a run of at most 2,000 steps sees at most 100,000
# examples, and generating the preset's 50,000 would take most of a short run's time
SMALL_DATA = {"train_size": 5000, "eval_size": 300, "test_size": 300}


@dataclass(frozen=True)
class SmallSweep:
    preset: str
    task: str
    vary: str
    values: tuple
    seeds: int
    steps: int

    @property
    def runs(self) -> int:
        return len(self.values) * self.seeds

    @property
    def eval_every(self) -> int:
        return max(1, self.steps // 10)  # ten points on every run's curve

    def check(self) -> None:
        if self.preset not in presets.NAMES:
            raise sweeps.SweepError(f"unknown preset {self.preset!r}: one of {', '.join(presets.NAMES)}")
        if self.task not in data.TASKS:
            raise sweeps.SweepError(f"unknown task {self.task!r}: one of {', '.join(data.TASKS)}")
        parse_values(self.vary, ", ".join(str(v) for v in self.values))
        for name, value, most in (("seeds", self.seeds, MAX_SEEDS), ("steps", self.steps, MAX_STEPS)):
            if not (positive_int(value) and value <= most):
                raise sweeps.SweepError(f"{name} must be 1 to {most}, got {value!r}")
        if self.runs > MAX_RUNS:
            raise sweeps.SweepError(f"{self.runs} runs; a small sweep has at most {MAX_RUNS}")


def command(sweep: SmallSweep, out: Path) -> list[str]:
    """The engine's command line that runs `sweep` into `out` (its grid file is out/grid.json)."""
    return [sys.executable, "-m", "engine", "sweep", "--preset", sweep.preset, "--task", sweep.task,
            "--grid", str(out / GRID), "--seeds", str(sweep.seeds), "--output", str(out), "--workers", "1",
            "--set", f"steps={sweep.steps}", "--set", f"eval_every={sweep.eval_every}",
            *(item for name, value in SMALL_DATA.items() for item in ("--set", f"{name}={value}"))]


KIND = "sweep"


@dataclass(eq=False)
class Launch(jobs.Job):
    """A small sweep going on in the server (or its latest one), owned by the browser that holds `owner`."""

    kind = KIND
    sweep: SmallSweep
    path: Path
    owner: str  # the session that started it: only it may stop it
    process: subprocess.Popen | None = None  # started by begin()
    stopping: bool = False  # Stop was pressed (or the owner left); the process session is being ended
    announced: bool = False  # the owner's page has redrawn itself once after the sweep ended
    _cleaned: bool = False  # the session's leftover processes were ended once the sweep had ended

    @property
    def running(self) -> bool:
        if self.process is None or self.process.poll() is None:
            return self.process is not None
        if not self._cleaned:  # whoever first sees the end (a page, the reaper) ends Ray's leftovers
            self._cleaned = True
            end_session(self.process.pid, signal.SIGKILL)
        return False

    @property
    def stop_requested(self) -> bool:
        return self.stopping

    def begin(self) -> None:
        with open(self.path / sweeps.LOG, "ab") as log:  # the child keeps its own copy of the descriptor
            self.process = subprocess.Popen(
                [*command(self.sweep, self.path), "--parent-pid", str(os.getpid())], cwd=sweeps.ROOT,
                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
                preexec_fn=lambda: os.nice(jobs.NICENESS))

    def request_stop(self, reason: str) -> None:
        if self.stopping:
            return
        self.stopping, self.stop_reason = True, reason
        threading.Thread(target=_end, args=(self.process,), daemon=True, name="sweep-stop").start()

    def wait(self, timeout: float) -> None:
        with suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout)
            _ = self.running  # its leftovers go too


def current() -> Launch | None:
    """The small sweep running on the server, if any."""
    return next(iter(jobs.running(KIND)), None)


# the owner's latest small sweep, running or ended, while the server has it; stop ends their running one (the
# records of finished runs stay, so it can resume): False when none runs
mine, stop = partial(jobs.find, kind=KIND), partial(jobs.stop, kind=KIND)


def _directory_for(sweep: SmallSweep) -> Path:
    """The directory of an earlier sweep with these very settings (so it resumes), or a new one."""
    wanted = asdict(sweep) | {"values": list(sweep.values)}
    root = sweeps.own_root()
    for path in sorted(root.iterdir(), reverse=True) if root.is_dir() else []:
        try:
            if json.loads(read_limited(path / SETTINGS, SETTINGS_MAX_BYTES).decode("utf-8")) == wanted:
                return path
        except (OSError, ValueError):
            continue
    stamp = time.strftime("%Y%m%d-%H%M%S")
    for attempt in range(100):
        path = root / (stamp if attempt == 0 else f"{stamp}-{attempt}")
        try:
            path.mkdir(parents=True)
        except FileExistsError:
            continue
        write_atomic(path / SETTINGS, json.dumps(wanted))
        return path
    raise sweeps.SweepError(f"no free directory name under {root}")


def start(sweep: SmallSweep, owner: str) -> Launch:
    """Start `sweep` in the background for `owner` (SweepError if its settings are out of bounds, the owner
    is not valid, a small sweep is going or the server's jobs are at their cap)."""
    sweep.check()
    with _directory_lock:  # two pages starting the same settings must not share a new directory's files
        path = _directory_for(sweep)
        write_atomic(path / GRID, json.dumps({sweep.vary: list(sweep.values)}))
    try:
        return jobs.register(Launch(sweep, path, owner), kind_limit=1, noun="small sweep")
    except jobs.JobRefused as e:
        raise sweeps.SweepError(str(e)) from None


def session_members(session: int) -> list[int]:
    """Pids of the processes in the session `session` (the sweep is its leader; Ray's processes join it, some
    in process groups of their own, so a process group is not enough)."""
    found = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as f:
                fields = f.read(4096).rsplit(b")", 1)[1].split()
        except (OSError, IndexError):  # gone meanwhile
            continue
        if len(fields) > 3 and int(fields[3]) == session:
            found.append(int(entry.name))
    return found


def end_session(session: int, sig: int) -> int:
    """Send `sig` to every process of the session; how many there were. Safe after the leader is gone: Linux
    never reuses a pid while a session of that id has members."""
    members = session_members(session)
    for pid in members:
        with suppress(ProcessLookupError):
            os.kill(pid, sig)
    return len(members)


def _end(process: subprocess.Popen) -> None:
    """Ctrl-C to the sweep (it shuts Ray down and rewrites its summary); if it has not ended after a grace
    period, SIGTERM, then SIGKILL, to every process of its session; then whatever of Ray is left goes."""
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGKILL):
        if process.poll() is not None:
            break
        if sig == signal.SIGINT:
            with suppress(ProcessLookupError):  # gone already: the wait below returns at once
                os.kill(process.pid, sig)
        else:
            end_session(process.pid, sig)
        with suppress(subprocess.TimeoutExpired):
            process.wait(timeout=STOP_GRACE_SECONDS)
            break
    end_session(process.pid, signal.SIGKILL)


def log_tail(path: Path, max_bytes: int = 4000) -> str:
    """The end of a sweep's log (why it ended, when it failed)."""
    try:
        with open_input(path / sweeps.LOG) as (f, size):
            f.seek(max(0, size - max_bytes))
            return f.read(max_bytes).decode("utf-8", "replace")
    except OSError:
        return ""
