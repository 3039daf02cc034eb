"""Sweeps in the app (no streamlit here): find sweep directories, load one, and the data of its figures (the
Train page's small sweep, started from the app, is explorer/small_sweep.py).

A sweep directory is what engine/sweep.py writes (sweep.json, runs/<id>.json, summary.csv/md); records are
read with engine.sweep.read_records, which skips files it cannot read. Everything in a directory is input:
a typed path may point anywhere, so the spec is checked field by field, the number of run files is capped
before any is read, and a record without a usable curve is left out of the figures (and counted).
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass, field
from pathlib import Path

from engine import presets
from engine.config import TrainConfig, settings

ROOT = Path(__file__).resolve().parents[1]
SHIPPED_ENV, OWN_ENV = "NPX_SHIPPED_SWEEPS_DIR", "NPX_SWEEPS_DIR"  # tests point these elsewhere
PAPER_SWEEP = "paper2016-single-column"  # the paper's trainability table, shipped under docs/sweeps/
SPEC_MAX_BYTES = 1_000_000
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


# ----------------------------------------------------------------------------- reading a sweep


def read_spec(path: Path) -> dict:
    """sweep.json of `path`, checked; SweepError with the reason when the directory is not a sweep."""
    if not path.is_dir():
        raise SweepError(f"{path} is not a directory")
    spec_file = path / "sweep.json"
    if not spec_file.is_file():
        raise SweepError(f"{path} holds no sweep.json, so it is not a sweep directory (or its sweep has not "
                         "written it yet)")
    if spec_file.stat().st_size > SPEC_MAX_BYTES:
        raise SweepError(f"{spec_file} is larger than {SPEC_MAX_BYTES} bytes")
    try:
        spec = json.loads(spec_file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as e:
        raise SweepError(f"{spec_file} cannot be read: {e}") from None
    if not isinstance(spec, dict):
        raise SweepError(f"{spec_file} is not a JSON object")
    problems = []
    if spec.get("version") != 1:
        problems.append(f"version is {spec.get('version')!r}, not 1")
    problems += [f"{k} is not a name" for k in ("preset", "task") if not isinstance(spec.get(k), str)]
    grid = spec.get("grid")
    if not isinstance(grid, dict) or not all(isinstance(v, list) and v for v in grid.values()):
        problems.append("grid is not an object of non-empty value lists")
    if not count(spec.get("seeds")):
        problems.append("seeds is not a positive integer")
    if not isinstance(spec.get("base", {}), dict):
        problems.append("base is not an object")
    if not _number(spec.get("target", 1.0)):
        problems.append("target is not a number")
    if problems:
        raise SweepError(f"{spec_file} does not describe a sweep: " + "; ".join(problems))
    return spec


def _number(x) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def count(x) -> bool:
    """A positive integer (not a bool)."""
    return isinstance(x, int) and not isinstance(x, bool) and x > 0


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
        return expected_runs(self.spec)

    @property
    def reached(self) -> int:
        return sum(1 for r in self.records if r.get("reached_target") is True)


def expected_runs(spec: dict) -> int:
    return math.prod(len(v) for v in spec["grid"].values()) * spec["seeds"]


def _drawable(record) -> bool:
    if not isinstance(record, dict) or not isinstance(record.get("params"), dict):
        return False
    curve = record.get("curve")
    return (_number(record.get("best_accuracy")) and isinstance(curve, list)
            and all(isinstance(p, list) and len(p) == 3 and all(_number(x) for x in p) for p in curve))


def load(path: Path) -> Sweep:
    """The spec and the drawable records of a sweep directory (SweepError if it is not one)."""
    from engine.sweep import read_records, recorded_ids  # the one reader of run records (engine/sweep.py)

    spec = read_spec(path)
    n = len(recorded_ids(path))  # names only, before any record is read
    if n > MAX_RECORD_FILES:
        raise SweepError(f"{path} holds {n} run files; the app shows at most {MAX_RECORD_FILES}")
    problems: list[str] = []
    records = read_records(path, problems)
    good = [r for r in records if _drawable(r)]
    problems += [f"{r.get('id')}: its curve is not a list of [step, epoch, accuracy]" for r in records
                 if not _drawable(r)]
    return Sweep(path, spec, sorted(good, key=lambda r: str(r.get("id"))), problems)


def summary_rows(sweep: Sweep) -> list[dict]:
    from engine.sweep import summarise  # one summary for the CLI's summary.csv and the app's table

    return summarise(sweep.records, sweep.spec)


def run_settings(spec: dict) -> TrainConfig | None:
    """The TrainConfig the spec's runs share apart from the grid (None if the spec's values do not make one)."""
    known = {s.name for s in settings(TrainConfig)}
    try:
        return presets.train_config(spec["preset"], spec["task"],
                                    **{k: v for k, v in spec.get("base", {}).items() if k in known})
    except (ValueError, TypeError):
        return None


# ----------------------------------------------------------------------------- the figures' data


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
