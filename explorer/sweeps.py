"""Sweeps in the app (no streamlit here): find sweep directories, load one, and the data of its figures.

A directory is what engine/sweep/plan.py writes, read by engine.sweep.plan alone; everything in it is input (run
files are capped before any is read). A typed path is read only when, resolved, it lies under an allowed folder
(NPX_SWEEP_DIRS), and every refusal has the same words, so the page never tells whether a path exists.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from pathlib import Path

from engine.core.settings import settings
from engine.np2016 import presets
from engine.np2016.config import TrainConfig
from engine.sweep import plan as engine_sweep
from engine.sweep.spec import finite_number

ROOT = Path(__file__).resolve().parents[1]
SHIPPED_ENV, OWN_ENV = "NPX_SHIPPED_SWEEPS_DIR", "NPX_SWEEPS_DIR"  # tests point these elsewhere
ALLOWED_ENV = "NPX_SWEEP_DIRS"  # folders a typed path may lie under (os.pathsep-separated), set by the host
PAPER_SWEEP = "paper2016-single-column"  # the paper's trainability table, shipped under docs/sweeps/
MAX_RECORD_FILES = 5000  # more run files than any sweep of ours: a typed path holding more is refused
LOG = "sweep.log"  # the small sweep's output, beside its records (explorer/small_sweep.py)


class SweepError(ValueError):
    """A sweep directory cannot be shown, or a small sweep cannot start; the message says why, on one line."""


def shipped_root() -> Path:
    return Path(os.environ.get(SHIPPED_ENV) or ROOT / "docs" / "sweeps")


def own_root() -> Path:
    return Path(os.environ.get(OWN_ENV) or ROOT / "runs" / "sweeps")


def paper_sweep() -> Path:
    return shipped_root() / PAPER_SWEEP


def list_sweeps() -> list[tuple[str, Path]]:
    """(label, directory) of every shipped sweep (by name) and every sweep of the app's (newest first)."""
    found = []
    for root, kind, newest_first in ((shipped_root(), "shipped", False), (own_root(), "this app", True)):
        try:
            dirs = sorted((p for p in root.iterdir() if p.is_dir()), reverse=newest_first) if root.is_dir() else []
        except OSError:  # an unreadable folder lists nothing; a path can still be typed
            continue
        found += [(f"{p.name} ({kind})", p) for p in dirs if (p / "sweep.json").is_file() or (p / LOG).is_file()]
    return found


def read_spec(path: Path) -> dict:
    """sweep.json of `path`, checked by engine.sweep.plan.read_spec; SweepError with the reason when the directory
    is not a sweep (for a listed directory: a typed path is checked by typed_directory first)."""
    if not path.is_dir():
        raise SweepError(f"{path} is not a directory")
    try:
        spec = engine_sweep.read_spec(path)
    except ValueError as e:  # not readable as a spec, or a field is wrong: the engine's message says which
        raise SweepError(str(e)) from None
    if spec is None:
        raise SweepError(f"{path} holds no sweep.json, so it is not a sweep directory (or its sweep has not "
                         "written it yet)")
    return spec


def allowed_roots() -> list[Path]:
    """The folders a typed sweep path may lie under, resolved: NPX_SWEEP_DIRS (relative entries from the
    app's folder), else the shipped sweeps and the app's own."""
    listed = [Path(p).expanduser() for p in os.environ.get(ALLOWED_ENV, "").split(os.pathsep) if p.strip()]
    return [(ROOT / p).resolve() for p in listed or [shipped_root(), own_root()]]


def refused_message() -> str:
    """The one message for every typed path that is not shown (missing, not a directory, outside the allowed
    folders, no sweep.json): the same words whatever the reason, so nothing about the server leaks."""
    roots = ", ".join(str(r) for r in allowed_roots())
    return (f"No sweep can be shown from that path: type the folder of a sweep (one holding sweep.json) under "
            f"one of the allowed folders: {roots}")


def _shown(path: Path, roots: list[Path]) -> bool:
    # containment first: a path outside is never looked at beyond resolving it
    return any(path.is_relative_to(r) for r in roots) and path.is_dir() and (path / "sweep.json").is_file()


def typed_directory(text: str) -> Path:
    """The resolved sweep directory a typed path names (relative paths from the app's folder); SweepError with
    refused_message() unless it is a directory holding sweep.json under one of allowed_roots()."""
    try:
        path = (ROOT / Path(text.strip()).expanduser()).resolve()  # symlinks and .. resolved before the check
        shown = _shown(path, allowed_roots())
    except (OSError, RuntimeError, ValueError):  # a symlink loop, no home for ~, a NUL byte in the text
        shown = False
    if not shown:
        raise SweepError(refused_message())
    return path


@dataclass
class Sweep:
    path: Path
    spec: dict
    records: list[dict]  # the records whose curve and accuracy can be drawn
    problems: list[str] = field(default_factory=list)  # one line per run file left out, and why

    @property
    def target(self) -> float:
        return float(self.spec.get("target", 1.0))

    @property
    def total(self) -> int:
        return math.prod(len(v) for v in self.spec["grid"].values()) * self.spec["seeds"]

    @property
    def reached(self) -> int:
        return sum(1 for r in self.records if r.get("reached_target") is True)


def _drawable(record) -> bool:
    if not isinstance(record, dict) or not isinstance(record.get("params"), dict):
        return False
    curve = record.get("curve")
    return (finite_number(record.get("best_accuracy")) and isinstance(curve, list)
            and all(isinstance(p, list) and len(p) == 3 and all(finite_number(x) for x in p) for p in curve))


def load(path: Path) -> Sweep:
    """The spec and the drawable records of a sweep directory (SweepError if it is not one)."""
    spec = read_spec(path)
    n = len(engine_sweep.recorded_ids(path))  # names only, before any record is read
    if n > MAX_RECORD_FILES:
        raise SweepError(f"{path} holds {n} run files; the app shows at most {MAX_RECORD_FILES}")
    problems: list[str] = []
    records = engine_sweep.read_records(path, problems)  # the one reader of run records
    good = [r for r in records if _drawable(r)]
    problems += [f"{r.get('id')}: its curve is not a list of [step, epoch, accuracy]" for r in records
                 if not _drawable(r)]
    return Sweep(path, spec, sorted(good, key=lambda r: str(r.get("id"))), problems)


def summary_rows(sweep: Sweep) -> list[dict]:
    return engine_sweep.summarise(sweep.records, sweep.spec)  # one summary for the CLI's summary.csv and the app


def run_settings(spec: dict) -> TrainConfig | None:
    """The TrainConfig the spec's runs share apart from the grid (None if the spec's values do not make one)."""
    known = {s.name for s in settings(TrainConfig)}
    try:
        return presets.train_config(spec["preset"], spec["task"],
                                    **{k: v for k, v in spec.get("base", {}).items() if k in known})
    except (ValueError, TypeError):
        return None


def first_reach(record: dict, target: float) -> float | None:
    """The epoch at which the run's validation curve first reached `target` (None: it never did)."""
    return next((epoch for _, epoch, acc in record["curve"] if acc >= target), None)


def reach_over_epochs(records: list[dict], target: float) -> list[tuple[float, int]]:
    """(epoch, runs whose validation curve has reached `target` by that epoch), for every epoch of any curve."""
    epochs = sorted({p[1] for r in records for p in r["curve"]})
    firsts = [e for e in (first_reach(r, target) for r in records) if e is not None]
    return [(epoch, sum(1 for f in firsts if f <= epoch)) for epoch in epochs]


def accuracy_by_param(records: list[dict], name: str) -> list[dict]:
    """One point per run that has `name` in its params: that value, the best validation accuracy, the run."""
    return [{"value": r["params"][name], "accuracy": r["best_accuracy"], "id": str(r.get("id")),
             "seed": r.get("seed"), "reached": r.get("reached_target") is True}
            for r in records if name in r["params"]]



def mean_curves_by_value(records: list[dict], name: str) -> list[tuple[object, list[tuple[float, float]]]]:
    """(value, [(epoch, mean validation accuracy of that value's runs at that epoch)]) per value of the grid field
    `name`, in order of first appearance; every run with the value counts, whatever its other fields and seed."""
    by_value: dict[str, tuple[object, dict[float, list[float]]]] = {}  # keyed by repr: 1 and True stay apart
    for r in records:
        if name in r["params"]:
            value = r["params"][name]
            epochs = by_value.setdefault(repr(value), (value, {}))[1]
            for _step, epoch, accuracy in r["curve"]:
                epochs.setdefault(epoch, []).append(accuracy)
    return [(value, [(e, sum(a) / len(a)) for e, a in sorted(epochs.items())]) for value, epochs in by_value.values()]
