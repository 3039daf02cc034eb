"""What a sweep.json must hold to be read as a sweep spec: the one check of the CLI, the report and the app.

A sweep directory may come from anywhere (a typed path on the Sweeps page, a copied folder), so every field the
readers use is checked before any of them is. Grid fields are not checked against TrainConfig: a spec names what
was swept, and the app shows it as text. engine/sweep/plan.py reads the file (bounded, regular files only).
"""

from __future__ import annotations

import json
import math

SPEC_VERSION = 1
SPEC_MAX_BYTES = 1_000_000  # a sweep.json over this is refused (ours are under 2 KB)
GRID_MAX_POINTS = 10_000  # the product of the value lists' lengths
SEEDS_MAX = 1000


def finite_number(x) -> bool:
    """A finite int or float (not a bool)."""
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def positive_int(x) -> bool:
    """A positive integer (not a bool)."""
    return isinstance(x, int) and not isinstance(x, bool) and x > 0


def spec_problems(spec) -> list[str]:
    """Every way `spec` (parsed JSON) falls short of a sweep spec, as short phrases; [] for a good one."""
    if not isinstance(spec, dict):
        return [f"it is a JSON {type(spec).__name__}, not an object"]
    problems = []
    if spec.get("version") != SPEC_VERSION:
        problems.append(f"version is {json.dumps(spec.get('version'))[:20]}, not {SPEC_VERSION}")
    problems += [f"{k} is not a name" for k in ("preset", "task") if not isinstance(spec.get(k), str)]
    grid = spec.get("grid")
    if not isinstance(grid, dict) or not all(isinstance(v, list) and v for v in grid.values()):
        problems.append("grid is not an object of non-empty value lists")
    else:  # multiplied one list at a time, so a hostile grid stops at the cap instead of making a huge integer
        points = 1
        for values in grid.values():
            points *= len(values)
            if points > GRID_MAX_POINTS:
                problems.append(f"grid has more than {GRID_MAX_POINTS:,} points")
                break
    seeds = spec.get("seeds")
    if not positive_int(seeds):
        problems.append("seeds is not a positive integer")
    elif seeds > SEEDS_MAX:
        problems.append(f"seeds is over {SEEDS_MAX}")
    if not isinstance(spec.get("base", {}), dict):
        problems.append("base is not an object")
    target = spec.get("target", 1.0)
    if not (finite_number(target) and 0 <= target <= 1):
        problems.append("target is not a number in [0, 1]")
    if "models_per_worker" in spec and not positive_int(spec["models_per_worker"]):
        problems.append("models_per_worker is not a positive integer")
    return problems


def check_spec(spec, where: str) -> dict:
    """`spec` when it is a sweep spec, else ValueError "<where> does not describe a sweep: <problems>"."""
    if problems := spec_problems(spec):
        raise ValueError(f"{where} does not describe a sweep: " + "; ".join(problems))
    return spec
