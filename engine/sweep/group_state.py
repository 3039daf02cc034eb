"""Where a sweep's unfinished groups keep their training state (docs/sweeps.md), so that a rerun goes on from the
last save instead of step 0. Each group in training has, under DIR/state/, a manifest <group id>.json naming its
runs in order and, once it has saved, <group id>.state.safetensors (engine/core/train_state.py). The groups a rerun
forms depend on how many runs are left and on --workers, so a rerun first takes back every group its manifests
name whose runs are all still unrecorded, as they were; only the other runs are grouped anew. A group's files go
once its records are written.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from pathlib import Path

from engine.core.io.atomic import write_atomic
from engine.core.io.input_file import read_limited
from engine.sweep.plan import HASH_CHARS, Run

STATE_DIR = "state"
MANIFEST_MAX_BYTES = 1_000_000  # ~50,000 run ids; a larger manifest is not one this module wrote


def group_id(runs: list[Run]) -> str:
    """A stable name for the group of `runs`, in this order (the order of their models in the state)."""
    return hashlib.sha256("\n".join(r.id for r in runs).encode("utf-8")).hexdigest()[:HASH_CHARS]


def _manifest(directory, gid: str) -> Path:
    return Path(directory) / STATE_DIR / f"{gid}.json"


def state_file(directory, runs: list[Run]) -> Path:
    return Path(directory) / STATE_DIR / f"{group_id(runs)}.state.safetensors"


def begin(directory, runs: list[Run]) -> Path:
    """Name the group's runs in its manifest (once), so a rerun finds the group; the state file to use."""
    manifest = _manifest(directory, group_id(runs))
    if not manifest.is_file():
        write_atomic(manifest, json.dumps({"runs": [r.id for r in runs]}) + "\n")
    return state_file(directory, runs)


def finish(directory, runs: list[Run]) -> None:
    """The group's records are written: its state and manifest go (the state first: a manifest alone restarts
    nothing that a state alone would not)."""
    state_file(directory, runs).unlink(missing_ok=True)
    _manifest(directory, group_id(runs)).unlink(missing_ok=True)


def _saved_ids(path: Path) -> list[str] | None:
    """The run ids a manifest names, or None when it is not a manifest this module wrote."""
    try:
        doc = json.loads(read_limited(path, MANIFEST_MAX_BYTES).decode("utf-8"))
    except (OSError, ValueError, RecursionError):
        return None
    ids = doc.get("runs") if isinstance(doc, dict) else None
    if not (isinstance(ids, list) and ids and all(isinstance(i, str) for i in ids) and len(set(ids)) == len(ids)):
        return None
    return ids


def take_back(directory, todo: list[Run]) -> tuple[list[list[Run]], list[Run]]:
    """(the saved groups whose runs are all in `todo`, as they were; the runs of `todo` in none of them). A
    manifest that names a recorded or unknown run, or cannot be read, goes with its state: its runs train anew."""
    by_id = {r.id: r for r in todo}
    taken: list[list[Run]] = []
    folder = Path(directory) / STATE_DIR
    for manifest in sorted(folder.glob("*.json")) if folder.is_dir() else []:
        ids = _saved_ids(manifest)
        if ids is not None and all(i in by_id for i in ids):
            group = [by_id.pop(i) for i in ids]
            if group_id(group) == manifest.stem:
                taken.append(group)
                continue
            by_id.update((r.id, r) for r in group)
        manifest.with_name(manifest.stem + ".state.safetensors").unlink(missing_ok=True)
        manifest.unlink(missing_ok=True)
    return taken, [r for r in todo if r.id in by_id]


def tidy(directory) -> None:
    """Remove DIR/state once no group keeps anything there (called when no trial runs)."""
    with contextlib.suppress(OSError):  # absent, or still holding a group's files
        (Path(directory) / STATE_DIR).rmdir()
