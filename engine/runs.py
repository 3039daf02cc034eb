"""Where a training run's checkpoint goes: the output checked before any work, the result saved without loss.

Two rules, for the command line and the app alike:

- `check_output` refuses an output that cannot be written (a directory, a parent that cannot be created,
  a read-only directory) before anything is generated or trained, by really creating (and removing) a
  file in the target's directory: permission bits, read-only mounts and ACLs all answer the same way.
- `save_trained` never replaces a checkpoint with a worse one when the run was cut short (stopped by
  Ctrl-C or Stop, or ended by the NaN guard): the old file stays and the new one is written beside it.
  A run that finished normally replaces the file, as asked. Every write goes through engine.atomic.

Wiring in a command (the order matters: the check comes before the work)::

    output = check_output(args.output)            # OutputError -> report and exit before training
    result = train(cfg, model_cfg, progress=progress, stop=stop)
    outcome = save_trained(output, result, summary)   # summary: result.summary plus the caller's keys
    print(outcome.message)                         # says where the model went and what was kept
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from .atomic import write_atomic
from .checkpoint import CheckpointError, read_checkpoint_info, to_bytes
from .train import TrainResult

__all__ = ["OutputError", "SaveOutcome", "check_output", "save_trained", "beside", "cut_short"]

MAX_BESIDE = 100  # numbered names tried for a checkpoint written beside a kept one


class OutputError(ValueError):
    """The output path cannot be written; the message says why and what to give instead."""


def check_output(path) -> Path:
    """`path` as a Path once it is known to be writable: its directory exists (created if need be) and a
    file can be created there. OutputError otherwise, before any work has been done."""
    path = Path(path).expanduser()
    if path.is_dir():
        raise OutputError(f"output {path} is a directory; give a file name such as {path / 'model.safetensors'}")
    if path.exists() and not path.is_file():
        raise OutputError(f"output {path} exists and is not a regular file")
    directory = path.parent
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise OutputError(f"cannot create the directory of output {path}: {e.strerror or e}") from e
    try:
        fd, probe = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".probe", dir=directory)
    except OSError as e:
        raise OutputError(f"cannot write output {path}: the directory {directory} does not accept new files "
                          f"({e.strerror or e})") from e
    os.close(fd)
    with contextlib.suppress(FileNotFoundError):
        os.unlink(probe)
    return path


@dataclass(frozen=True)
class SaveOutcome:
    """What `save_trained` did. path: where the new checkpoint was written (None: nothing written);
    kept: an existing checkpoint left in place rather than replaced; message: one sentence for the user."""

    path: Path | None
    kept: Path | None
    message: str


def cut_short(summary: dict) -> str | None:
    """"stopped" or "failed" when the run did not finish as configured, else None."""
    if summary.get("error"):
        return "failed"
    return "stopped" if summary.get("stopped") else None


def beside(path: Path, tag: str) -> Path:
    """A free name next to `path` for a run that must not replace it: model.stopped.safetensors, then
    model.stopped-2.safetensors, ..."""
    for n in range(1, MAX_BESIDE + 1):
        name = f"{path.stem}.{tag}{'' if n == 1 else f'-{n}'}{path.suffix or '.safetensors'}"
        if not (path.parent / name).exists():
            return path.parent / name
    raise OutputError(f"{MAX_BESIDE} earlier {tag} checkpoints are already beside {path}; remove some")


def _existing_accuracy(path: Path) -> float | None:
    """The validation accuracy recorded in the checkpoint at `path`; None when it has none or is no checkpoint
    (then it cannot be compared, and a cut-short run must not replace it either)."""
    try:
        return read_checkpoint_info(path)["valid_accuracy"]  # None unless a finite number
    except (CheckpointError, OSError):
        return None


def save_trained(path, result: TrainResult, summary: dict | None = None) -> SaveOutcome:
    """Save `result` (with `summary`, default result.summary) as the checkpoint at `path`, unless that would
    lose a better model.

    A run that finished replaces `path`. A run cut short (summary "stopped" or "error") replaces it only
    when the file there is a checkpoint with a lower validation accuracy (or there is no file); otherwise the old
    file is kept and the new model goes to `beside(path, "stopped" | "failed")`. A run stopped before any
    model was evaluated (while its data was generated) writes nothing. OSError if the write itself fails.
    """
    path = Path(path)
    summary = dict(result.summary if summary is None else summary)
    how = cut_short(summary)
    new_acc = summary.get("valid_accuracy", -1.0)
    if how and summary.get("steps_run", 0) == 0 and new_acc < 0:
        kept = path if path.exists() else None
        return SaveOutcome(None, kept, "stopped before training began: nothing was saved"
                           + (f"; {path} is unchanged" if kept else ""))
    payload = to_bytes(result.model, result.vocab, summary)
    if how and path.exists():
        old_acc = _existing_accuracy(path)
        if old_acc is None or old_acc >= new_acc:
            target = beside(path, how)
            write_atomic(target, payload)
            old = "no recorded accuracy" if old_acc is None else f"validation accuracy {old_acc:.4f}"
            return SaveOutcome(target, path, f"the run {how} at validation accuracy {new_acc:.4f}; kept {path} "
                                             f"({old}) and saved this run as {target}")
    write_atomic(path, payload)
    return SaveOutcome(path, None, f"saved {path}")
