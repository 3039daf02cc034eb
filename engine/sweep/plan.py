"""Hyper-parameter sweeps (docs/sweeps.md): the grid, the runs it plans, their groups, one record per finished run,
the summary. A run's id is a stable hash of its grid point plus its seed, so rerunning the same command finds the
runs already recorded and trains only the others. engine/sweep/ray_runner.py trains the groups; this module only
describes and reads a sweep, so the app can read one without Ray or torch.
"""

from __future__ import annotations

import csv
import hashlib
import itertools
import json
import math
from dataclasses import dataclass
from pathlib import Path

from engine.core.io.atomic import atomic_writer, write_atomic
from engine.core.io.input_file import TooLargeError, read_limited
from engine.core.settings import settings
from engine.np2016 import presets
from engine.np2016.config import TrainConfig
from engine.sweep.spec import GRID_MAX_POINTS, SEEDS_MAX, SPEC_MAX_BYTES, SPEC_VERSION, check_spec
from engine.sweep.stats import group_stats, mean

GRID_MAX_BYTES = 1_000_000  # a grid file larger than this is refused from its size, before it is read
RECORD_MAX_BYTES = 64_000_000  # a run record over this is skipped as not ours (a curve of 1e6 steps is ~40 MB)
FIXED = ("task", "preset", "seed")  # set by the sweep itself (--task, --preset, --seeds), never by the grid
HASH_CHARS = 12  # 48 bits: two of 10,000 grid points share a hash with odds of about 1 in 5 million


@dataclass(frozen=True)
class Run:
    """One training run of a sweep: its grid point (`params`), its seed and its resolved config."""

    id: str
    params: dict
    seed: int
    cfg: TrainConfig


# ----------------------------------------------------------------------------- the grid and the plan

def _grid_settings() -> dict:
    return {s.name: s for s in settings(TrainConfig) if s.name not in FIXED}


def _reject_constant(name: str):
    raise ValueError(f"{name} is not a number JSON allows")


def load_grid(path) -> dict[str, list]:
    """The grid file at `path`, a JSON object {TrainConfig field: [values]}, checked (ValueError naming the
    field and the value; OSError when it cannot be read). Float fields' values become floats, so `1` and `1.0`
    are one grid point with one run id."""
    path = Path(path)
    try:
        raw = read_limited(path, GRID_MAX_BYTES)  # a FIFO or a device is an OSError, never read or waited on
    except TooLargeError as e:  # a ValueError like every other bad grid file (the CLI's usage error)
        size = f"has {e.size:,} bytes, " if e.size is not None else "is "
        raise ValueError(f"{path}: the grid file {size}over the limit of {GRID_MAX_BYTES:,} bytes") from None
    return check_grid(_json_document(raw, f"{path}: not a JSON grid file"), str(path))


def _json_document(raw: bytes, refused: str):
    """The JSON document in `raw` (UTF-8, no NaN or Infinity); ValueError starting with `refused` if not."""
    try:
        return json.loads(raw.decode("utf-8"), parse_constant=_reject_constant)
    except ValueError as e:  # JSON and UTF-8 errors, NaN and Infinity
        raise ValueError(f"{refused} ({e})") from None
    except RecursionError:
        raise ValueError(f"{refused} (the JSON is nested too deeply)") from None


def check_grid(doc, where: str = "the grid") -> dict[str, list]:
    """A grid object checked field by field (see load_grid); `where` names it in the messages."""
    if not isinstance(doc, dict):
        raise ValueError(f"{where}: a grid is a JSON object {{\"field\": [values, ...]}}, got {type(doc).__name__}")
    known = _grid_settings()
    grid, points = {}, 1
    for name, values in doc.items():
        if name in FIXED:
            raise ValueError(f"{where}: {name} cannot be swept in the grid (it is set by --{name}"
                             f"{'s' if name == 'seed' else ''})")
        if name not in known:
            raise ValueError(f"{where}: unknown TrainConfig field {name!r}; known: {', '.join(sorted(known))}")
        if not isinstance(values, list) or not values:
            raise ValueError(f"{where}: {name} must map to a non-empty list of values, got {json.dumps(values)[:80]}")
        try:
            typed = [_typed(known[name], value) for value in values]
        except ValueError as e:  # it names the field, the value and the range
            raise ValueError(f"{where}: {e}") from None
        if len(set(map(json.dumps, typed))) != len(typed):
            raise ValueError(f"{where}: {name} lists a value twice")
        points *= len(typed)
        if points > GRID_MAX_POINTS:
            raise ValueError(f"{where}: the grid has more than {GRID_MAX_POINTS:,} points")
        grid[name] = typed
    return grid


def check_base(base: dict) -> dict:
    """The fixed overrides (--set), each checked by its field's Setting; floats as floats."""
    known, out = _grid_settings(), {}
    for name, value in base.items():
        if name not in known:
            raise ValueError(f"--set {name}: not a TrainConfig field a sweep may set (task, preset and seed are "
                             "set by --task, --preset and --seeds)")
        out[name] = _typed(known[name], value)
    return out


def _typed(s, value):
    """`value` once its field's Setting accepts it; a float field's as a float."""
    s.check(value)
    return float(value) if s.type is float else value


def grid_points(grid: dict[str, list]) -> list[dict]:
    """Every combination of the grid's values, the first field varying slowest ([{}] for an empty grid)."""
    names = list(grid)
    return [dict(zip(names, combo, strict=True)) for combo in itertools.product(*(grid[n] for n in names))]


def point_hash(params: dict) -> str:
    """A stable short hash of one grid point (the same in every process and on every machine)."""
    text = json.dumps(params, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:HASH_CHARS]


def run_id(params: dict, seed: int) -> str:
    return f"{point_hash(params)}-s{seed}"


def plan(preset: str, task: str, grid: dict[str, list], seeds: int, base: dict) -> list[Run]:
    """Every run of the sweep: each grid point with seeds 0..seeds-1, configs built from the preset, then the
    fixed overrides `base`, then the point (ValueError for a field set twice or a config that does not hold)."""
    if not isinstance(seeds, int) or isinstance(seeds, bool) or not 1 <= seeds <= SEEDS_MAX:
        raise ValueError(f"seeds must be an integer in [1, {SEEDS_MAX}], got {seeds!r}")
    if both := sorted(set(grid) & set(base)):
        raise ValueError(f"{', '.join(both)} is both in the grid and fixed by --set; keep one")
    presets.get(preset)  # its own message for an unknown preset
    runs = []
    for params in grid_points(grid):
        for seed in range(seeds):
            cfg = presets.train_config(preset, task, **base, **params, seed=seed)
            runs.append(Run(run_id(params, seed), params, seed, cfg))
    if len({r.id for r in runs}) != len(runs):  # 48-bit hashes: practically never, but never silently
        raise ValueError("two grid points share a run id; change the grid slightly")
    return runs


def groups(runs: list[Run], models_per_worker: int) -> list[list[Run]]:
    """Runs packed into groups that each train as one computation: runs that multi_train.check_group accepts
    together (equal SHARED fields) in groups of at most `models_per_worker`, split evenly; a run that cannot be
    model-batched (program search, compile) alone."""
    from engine.np2016.multi_train import SHARED, batchable, check_group

    if models_per_worker < 1:
        raise ValueError(f"models_per_worker must be at least 1, got {models_per_worker}")
    out: list[list[Run]] = []
    buckets: dict[tuple, list[Run]] = {}
    for run in runs:
        if batchable(run.cfg) is not None:
            out.append([run])
        else:
            buckets.setdefault(tuple(getattr(run.cfg, f) for f in SHARED), []).append(run)
    for members in buckets.values():
        # runs of one seed next to each other: a group then holds few seeds, and its runs of one seed share
        # their generated data (multi_train generates each distinct data set once)
        members.sort(key=lambda r: r.seed)
        n = math.ceil(len(members) / models_per_worker)
        for i in range(n):  # n nearly equal groups rather than full ones and a small remainder
            group = members[len(members) * i // n: len(members) * (i + 1) // n]
            check_group([r.cfg for r in group])
            out.append(group)
    return out


# ----------------------------------------------------------------------------- the spec

def make_spec(preset: str, task: str, grid: dict, seeds: int, base: dict, target: float,
              models_per_worker: int) -> dict:
    if not 0.0 <= target <= 1.0:
        raise ValueError(f"the target accuracy must be in [0, 1], got {target}")
    return {"version": SPEC_VERSION, "preset": preset, "task": task, "grid": grid, "seeds": seeds,
            "base": base, "target": float(target), "models_per_worker": models_per_worker}


def read_spec(directory) -> dict | None:
    """DIR/sweep.json checked field by field (engine/sweep/spec.py), or None when there is none; ValueError when
    it cannot be read (not a regular file, over SPEC_MAX_BYTES, not JSON) or is not a sweep spec."""
    path = Path(directory) / "sweep.json"
    try:
        raw = read_limited(path, SPEC_MAX_BYTES)
    except FileNotFoundError:
        return None
    except OSError as e:  # a FIFO, a device or a directory named sweep.json; too large; no permission
        raise ValueError(f"{path} cannot be read: {e.strerror or e}") from None
    return check_spec(_json_document(raw, f"{path} cannot be read: not JSON"), str(path))


def open_sweep(directory, spec: dict) -> None:
    """Write DIR/sweep.json, or check that the one there is `spec` (resuming = rerunning the same command)."""
    directory = Path(directory)
    if directory.exists() and not directory.is_dir():
        raise ValueError(f"{directory} is a file, not a sweep directory")
    spec = json.loads(json.dumps(spec))  # as it reads back from the file
    old = read_spec(directory)
    if old is None:
        write_atomic(directory / "sweep.json", json.dumps(spec, indent=1) + "\n")
        return
    if old != spec:
        differ = sorted(k for k in set(old) | set(spec) if old.get(k) != spec.get(k))
        raise ValueError(f"{directory} holds another sweep (its sweep.json differs in {', '.join(differ)}); "
                         "rerun that sweep's own command to resume it, or choose another --output")


# ----------------------------------------------------------------------------- records

def record_path(directory, rid: str) -> Path:
    return Path(directory) / "runs" / f"{rid}.json"


def recorded_ids(directory) -> set[str]:
    """Ids of the runs with a record file (cheap: names only, for progress)."""
    runs_dir = Path(directory) / "runs"
    try:
        return {n[:-5] for n in (e.name for e in runs_dir.iterdir()) if n.endswith(".json")}
    except FileNotFoundError:
        return set()


def _check_record(record, stem: str) -> None:
    if not isinstance(record, dict) or record.get("id") != stem:
        raise ValueError("not a run record of this name")
    numbers = ("best_accuracy", "test_accuracy", "seconds", "epochs")
    if not isinstance(record.get("params"), dict) or not isinstance(record.get("seed"), int) or any(
            isinstance(record.get(k), bool) or not isinstance(record.get(k), (int, float)) for k in numbers):
        raise ValueError("a field is missing or has the wrong type")
    if not isinstance(record.get("reached_target"), bool) or not isinstance(record.get("curve"), list):
        raise ValueError("reached_target or curve is missing")


def read_records(directory, problems: list[str] | None = None) -> list[dict]:
    """Every readable record in DIR/runs; a file that is unreadable, partial or not a record is skipped and
    described in `problems` (never raised)."""
    runs_dir = Path(directory) / "runs"
    if not runs_dir.is_dir():
        return []
    out = []
    for path in sorted(runs_dir.glob("*.json")):
        try:
            # a regular file only: a FIFO, /dev/zero or a directory under this name is skipped, never waited on
            record = json.loads(read_limited(path, RECORD_MAX_BYTES).decode("utf-8"))
            _check_record(record, path.stem)
        except (OSError, ValueError, RecursionError) as e:  # JSON and UTF-8 errors are ValueErrors
            if problems is not None:
                problems.append(f"{path}: skipped ({getattr(e, 'strerror', None) or e})")
            continue
        out.append(record)
    return out


# ----------------------------------------------------------------------------- the summary

STATS = ("runs", "reached_target", "mean_best_accuracy", "max_best_accuracy", "mean_test_accuracy", "mean_seconds")


def summarise(records: list[dict], spec: dict) -> list[dict]:
    """One row per grid point of `spec`, in grid order: its params and STATS over the runs recorded for it
    (means are None when no run of the point finished, the test mean when no run had a test split)."""
    by_point: dict[str, list[dict]] = {}
    for record in records:
        if 0 <= record["seed"] < spec["seeds"]:
            by_point.setdefault(point_hash(record["params"]), []).append(record)
    rows = []
    for params in grid_points(spec["grid"]):
        recs = by_point.get(point_hash(params), [])
        stats = group_stats(recs)
        rows.append({**params, "runs": stats["runs"], "reached_target": stats["reached"],
                     "mean_best_accuracy": stats["best_mean"], "max_best_accuracy": stats["best_max"],
                     "mean_test_accuracy": stats["test_mean"], "mean_seconds": mean([r["seconds"] for r in recs])})
    return rows


def _cell(value, stat: bool) -> str:
    if value is None:
        return ""
    if stat and isinstance(value, float):
        return f"{value:.4f}"
    return str(value).replace("|", "\\|")  # markdown's column separator


def summary_markdown(rows: list[dict], spec: dict) -> str:
    """The summary as a markdown table, one row per grid point (also what the CLI prints)."""
    columns = list(spec["grid"]) + list(STATS)
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(_cell(row[c], c in STATS) for c in columns) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def write_summary(directory, problems: list[str] | None = None) -> list[dict]:
    """Rewrite DIR/summary.csv and DIR/summary.md (atomically) from sweep.json and the records; the rows."""
    spec = read_spec(directory)
    if spec is None:
        raise ValueError(f"{directory} has no sweep.json")
    rows = summarise(read_records(directory, problems), spec)
    columns = list(spec["grid"]) + list(STATS)
    with atomic_writer(Path(directory) / "summary.csv") as f:
        writer = csv.DictWriter(f, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        writer.writerows({c: "" if row[c] is None else row[c] for c in columns} for row in rows)
    write_atomic(Path(directory) / "summary.md", summary_markdown(rows, spec))
    return rows
