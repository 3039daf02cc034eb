"""The Train page's small sweep: one hyper-parameter varied over a few values, with a few seeds and a short
budget, run as a background `python -m engine sweep` process into a directory under sweeps.own_root().

It is bounded (MIN_VALUES to MAX_VALUES values of a field of VARY, at most MAX_SEEDS seeds and MAX_STEPS steps,
at most MAX_RUNS runs) and at most one goes at a time in the app's process; only the session that started it
may stop it. Its directory is named by its start time and holds launcher.json (the settings), grid.json and
sweep.log beside what the engine writes; starting the same settings again reuses that directory, and the
engine resumes from the records already there, so Stop loses only the runs in progress.
"""

from __future__ import annotations

import atexit
import json
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from engine import data, presets
from engine.atomic import write_atomic
from engine.config import TrainConfig, settings
from explorer import sweeps

VARY = ("lr", "clip", "noise_eta", "huber_delta", "lookup_weight", "adam_eps", "grad_noise")
MIN_VALUES, MAX_VALUES, MAX_SEEDS, MAX_STEPS, MAX_RUNS = 2, 4, 3, 2000, 24
GRID, SETTINGS = "grid.json", "launcher.json"  # the launcher's own files in a sweep directory
STOP_GRACE_SECONDS = 15.0  # after Ctrl-C (then SIGTERM), the sweep gets this long before the next signal
NICENESS = 10  # as the Train page's runs: the people asking questions come first


def _setting(name: str):
    return next(s for s in settings(TrainConfig) if s.name == name)


def parse_values(name: str, text: str) -> tuple:
    """Comma-separated values of the hyper-parameter `name`, typed and range-checked (SweepError if not)."""
    if name not in VARY:
        raise sweeps.SweepError(f"{name!r} cannot be varied here: one of {', '.join(VARY)}")
    setting = _setting(name)
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
        if not (sweeps.count(self.seeds) and self.seeds <= MAX_SEEDS):
            raise sweeps.SweepError(f"seeds must be 1 to {MAX_SEEDS}, got {self.seeds!r}")
        if not (sweeps.count(self.steps) and self.steps <= MAX_STEPS):
            raise sweeps.SweepError(f"steps must be 1 to {MAX_STEPS}, got {self.steps!r}")
        if self.runs > MAX_RUNS:
            raise sweeps.SweepError(f"{self.runs} runs; a small sweep has at most {MAX_RUNS}")


def command(sweep: SmallSweep, out: Path) -> list[str]:
    """The engine's command line that runs `sweep` into `out` (its grid file is out/grid.json)."""
    return [sys.executable, "-m", "engine", "sweep", "--preset", sweep.preset, "--task", sweep.task,
            "--grid", str(out / GRID), "--seeds", str(sweep.seeds), "--output", str(out), "--workers", "1",
            "--set", f"steps={sweep.steps}", "--set", f"eval_every={sweep.eval_every}",
            *(item for name, value in SMALL_DATA.items() for item in ("--set", f"{name}={value}"))]


@dataclass
class Launch:
    """The small sweep going on in this process (or the last one)."""

    sweep: SmallSweep
    path: Path
    owner: str  # the session that started it: only it may stop it
    process: subprocess.Popen
    started: float = field(default_factory=time.time)
    stopping: bool = False  # Stop was pressed; the process group is being ended
    announced: bool = False  # the owner's page has redrawn itself once after the sweep ended

    @property
    def running(self) -> bool:
        return self.process.poll() is None


_lock = threading.Lock()
_current: Launch | None = None


def current() -> Launch | None:
    return _current


def _directory_for(sweep: SmallSweep) -> Path:
    """The directory of an earlier sweep with these very settings (so it resumes), or a new one."""
    wanted = asdict(sweep) | {"values": list(sweep.values)}
    root = sweeps.own_root()
    for path in sorted(root.iterdir(), reverse=True) if root.is_dir() else []:
        try:
            if json.loads((path / SETTINGS).read_text(encoding="utf-8")) == wanted:
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


def _lower_priority() -> None:
    os.nice(NICENESS)


def start(sweep: SmallSweep, owner: str) -> Launch:
    """Start `sweep` in the background (SweepError if its settings are out of bounds or a sweep is going)."""
    global _current
    sweep.check()
    with _lock:
        if _current is not None and _current.running:
            raise sweeps.SweepError("a small sweep is already running in this app; stop it or wait for it to end")
        path = _directory_for(sweep)
        write_atomic(path / GRID, json.dumps({sweep.vary: list(sweep.values)}))
        with open(path / sweeps.LOG, "ab") as log:  # the child keeps its own copy of the descriptor
            process = subprocess.Popen(command(sweep, path), cwd=sweeps.ROOT, stdin=subprocess.DEVNULL, stdout=log,
                                       stderr=subprocess.STDOUT, start_new_session=True,
                                       preexec_fn=_lower_priority)
        _current = Launch(sweep, path, owner, process)
        return _current


def _end(process: subprocess.Popen) -> None:
    """Ctrl-C to the sweep (it shuts Ray down and rewrites its summary), then SIGTERM and SIGKILL to its whole
    process group (Ray's workers too) if it is still there after a grace period each."""
    for send in (lambda: os.kill(process.pid, signal.SIGINT), lambda: os.killpg(process.pid, signal.SIGTERM),
                 lambda: os.killpg(process.pid, signal.SIGKILL)):
        if process.poll() is not None:  # ended (and reaped): its pid may belong to another process by now
            return
        try:
            send()
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=STOP_GRACE_SECONDS)
            return
        except subprocess.TimeoutExpired:
            continue


def stop(owner: str | None) -> bool:
    """Stop the running sweep if `owner` started it; the records of finished runs stay, so it can resume."""
    launch = _current
    if launch is None or not launch.running or owner != launch.owner:
        return False
    launch.stopping = True
    threading.Thread(target=_end, args=(launch.process,), daemon=True, name="sweep-stop").start()
    return True


def log_tail(path: Path, max_bytes: int = 4000) -> str:
    """The end of a sweep's log (why it ended, when it failed)."""
    try:
        with open(path / sweeps.LOG, "rb") as f:
            f.seek(max(0, f.seek(0, os.SEEK_END) - max_bytes))
            return f.read().decode("utf-8", "replace")
    except OSError:
        return ""


@atexit.register
def _stop_on_exit() -> None:
    """The sweep runs in its own session, so it would outlive the server: Ctrl-C it when the server exits."""
    launch = _current
    if launch is not None and launch.running:
        try:
            os.kill(launch.process.pid, signal.SIGINT)
        except ProcessLookupError:
            pass
