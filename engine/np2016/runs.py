"""Where a training run's checkpoint goes: the output checked and claimed before any work (`check_output`,
`hold_output`), the result saved without losing a better model (`save_trained`). Every write goes through
engine.core.io.atomic. Wiring in a command (the check comes before the work)::

    with hold_output(args.output) as output:      # OutputError / OutputBusy -> report and exit before training
        result = train(cfg, model_cfg, progress=progress, stop=stop)
        outcome = save_trained(output, result, summary)   # summary: result.summary plus the caller's keys
    print(outcome.message)                         # says where the model went and what was kept
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from engine.core.io.atomic import write_atomic
from engine.np2016.checkpoint import CheckpointError, read_checkpoint_info, to_bytes
from engine.np2016.train import TrainResult

MAX_BESIDE = 100  # numbered names tried for a checkpoint written beside a kept one


class OutputError(ValueError):
    """The output path cannot be written; the message says why and what to give instead."""


def check_output(path) -> Path:
    """`path` as a Path once a file can really be created (and removed) in its directory, created if need be:
    permission bits, read-only mounts and ACLs all answer the same way. OutputError otherwise, before any work."""
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


class OutputBusy(OutputError):
    """Another training holds the output's lock: it is writing that file now."""


def lock_path(path) -> Path:
    """The lock file of output `path`: beside it, its name plus .lock (X.safetensors -> X.safetensors.lock)."""
    path = Path(path).expanduser()
    return path.with_name(path.name + ".lock")


def _still_named(fd: int, lock: Path) -> bool:
    """Whether `lock` still names the file open as `fd`: a holder that released its claim removed the name, and a
    lock on the removed file would claim nothing another process could see."""
    try:
        return os.path.samestat(os.fstat(fd), os.stat(lock))
    except FileNotFoundError:
        return False


def _acquire(path: Path) -> int:
    """An open descriptor of path's lock file holding an exclusive flock; OutputBusy when another holds it."""
    lock = lock_path(path)
    while True:  # again only when the file was removed between our open and our lock (a holder just finished)
        # Only opened, never written: the lock is the file's inode, not its content. An atomic write (a new file
        # renamed over the name) would give each process its own inode, and the lock would then hold nothing.
        try:
            fd = os.open(lock, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o666)
        except OSError as e:
            raise OutputError(f"cannot create the lock file {lock} beside the output: {e.strerror or e}") from e
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise OutputBusy(f"output {path} is being written by another training (it holds {lock}): wait for "
                             "that run to finish, or give another --output") from None
        except OSError as e:  # a file system without flock: say so rather than train unprotected in silence
            os.close(fd)
            raise OutputError(f"cannot lock {lock} for output {path}: {e.strerror or e}") from e
        if _still_named(fd, lock):
            return fd
        os.close(fd)


class OutputLock:
    """The claim on one output for a whole run (see `hold_output`); a context manager that releases it."""

    def __init__(self, path: Path):
        self.path = path
        self.lock = lock_path(path)
        self._fd: int | None = _acquire(path)

    @property
    def held(self) -> bool:
        return self._fd is not None

    def release(self) -> None:
        """Give the output back. The lock file is removed while the lock is still held, so a process that
        opened it just before sees the name gone after locking and starts again on a fresh file."""
        if self._fd is None:
            return
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.lock)
        os.close(self._fd)  # closing the last descriptor drops the flock
        self._fd = None

    def __enter__(self) -> Path:
        return self.path

    def __exit__(self, *exc) -> None:
        self.release()


def hold_output(path) -> OutputLock:
    """`check_output(path)`, then an exclusive `flock` on `lock_path(path)` until released (or the process ends:
    a killed run leaves no stale claim). OutputBusy at once when another training holds it, rather than both
    printing "saved" and the last silently winning."""
    return OutputLock(check_output(path))


@dataclass(frozen=True)
class SaveOutcome:
    """What `save_trained` did."""

    path: Path | None  # where the new checkpoint was written (None: nothing written)
    kept: Path | None  # an existing checkpoint left in place rather than replaced
    message: str  # one sentence for the user


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
    """The validation accuracy recorded at `path`; None when it has none or is no checkpoint (a cut-short run
    must not replace it either)."""
    try:
        return read_checkpoint_info(path)["valid_accuracy"]  # None unless a finite number
    except (CheckpointError, OSError):
        return None


def save_trained(path, result: TrainResult, summary: dict | None = None) -> SaveOutcome:
    """Save `result` (with `summary`, default result.summary) as the checkpoint at `path`, unless that would
    lose a better model: a run cut short (summary "stopped" or "error") replaces only a checkpoint of lower
    validation accuracy (else it goes to `beside(path, "stopped" | "failed")`), and one stopped before any model
    was evaluated writes nothing. OSError if the write itself fails."""
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
