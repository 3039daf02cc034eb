"""One training run of the app, in a process of its own (`python -m explorer.training_worker COMMANDS REPORTS`,
started by explorer/training.py): the server's interpreter keeps answering pages while two runs train.

The two arguments are pipe descriptors the server passes down. On COMMANDS the server sends the run (a
`RunSpec`'s fields), then at most ("stop", reason); the pipe's end (the server is gone) stops the run too, as do
SIGTERM and Ctrl-C. On REPORTS the worker sends ("progress", changes) a few times a second
(explorer/training_progress.py) and finally ("result", {...}). A stopped run ends its step, keeps its best model
and saves it, exactly as the in-server thread did: the run itself is the same call of engine.np2016.train.train
with the same settings, and torch uses one thread here (as cfg.threads says for every app run), so the same seed
gives the same curve.
"""

from __future__ import annotations

import copy
import logging
import os
import signal
import sys
import threading
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path

import torch

from engine.core.io.atomic import write_atomic
from engine.np2016.checkpoint import load_checkpoint, to_bytes
from engine.np2016.config import ModelConfig, TrainConfig
from engine.np2016.train import train
from explorer import fine_tune_scores
from explorer.training_progress import ProbeProgress, ProgressReader

REPORT_SECONDS = 0.25  # how often the server hears of the run: the Train page redraws every second
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RunSpec:
    """Everything the worker needs: a new model (`model_config`) or the checkpoint at `base` fine-tuned on
    `custom`; the checkpoint goes to `out_dir`, named `name` (or the first free variant of it)."""

    cfg: TrainConfig
    model_config: ModelConfig
    out_dir: str
    name: str
    probe_every: int
    base: str | None = None
    custom: list[dict] | None = None


def claim_path(out_dir: Path, name: str) -> Path:
    """Create `<name>.safetensors` exclusively (so no other run can have it); another suffix if taken."""
    out_dir.mkdir(parents=True, exist_ok=True)
    for attempt in range(10):
        path = out_dir / f"{name if attempt == 0 else f'{name}-{attempt}'}.safetensors"
        try:
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644))
        except FileExistsError:
            continue
        return path
    raise OSError(f"no free checkpoint name for {name} in {out_dir}")


class Stop:
    """The run's stop flag (a threading.Event, which the engine polls) and who asked, for the summary."""

    def __init__(self):
        self.event = threading.Event()
        self.reason: str | None = None

    def request(self, reason: str | None) -> None:
        if not self.event.is_set():
            self.reason = reason
        self.event.set()

    def listen(self, commands: Connection) -> None:
        """Until a stop command or the end of the pipe (the server is gone): then stop."""
        try:
            kind, reason = commands.recv()
        except (EOFError, OSError):
            kind, reason = "stop", "the server is gone"
        if kind == "stop":
            self.request(reason)


def run(spec: RunSpec, progress: ProbeProgress, stop: Stop) -> dict:
    """Train, score a fine-tuning before and after, save: {"summary", "name", "saved_path", "error"}."""
    outcome = {"summary": None, "name": spec.name, "saved_path": None, "error": None}
    try:
        init = load_checkpoint(spec.base)[:2] if spec.base else None
        custom = spec.custom
        before = None
        if init:  # the checkpoint as it was: on the taught examples and on fresh questions of its own task
            progress.update(message="scoring the checkpoint before fine-tuning")
            before = fine_tune_scores.measure(init[0], init[1], spec.cfg, custom, stop.event)
        result = train(spec.cfg, None if init else spec.model_config, progress=progress, stop=stop.event,
                       init=init, train_examples=copy.deepcopy(custom) if custom else None,
                       eval_examples=copy.deepcopy(custom) if custom else None)
        summary = dict(result.summary)
        if init:
            summary.update(fine_tuned_from=Path(spec.base).stem, custom_examples=len(custom))
            if summary["steps_run"]:
                progress.update(message="scoring the fine-tuned model")
                after = fine_tune_scores.measure(result.model, result.vocab, spec.cfg, custom, stop.event)
                summary.update(fine_tune_scores.summary_fields(spec.cfg, before, after))
        if stop.reason:
            summary["stopped_because"] = stop.reason
        outcome["summary"] = summary
        if summary["steps_run"] == 0:  # stopped (or diverged) before the first step: nothing was learned
            return outcome
        payload = to_bytes(result.model, result.vocab, summary)
        path = claim_path(Path(spec.out_dir), spec.name)
        try:
            write_atomic(path, payload)
        except BaseException:
            path.unlink(missing_ok=True)  # the empty claim must not stay behind as a broken checkpoint
            raise
        outcome.update(name=path.stem, saved_path=str(path))
    except Exception as e:  # noqa: BLE001 - shown to the user as a message, logged with its traceback
        log.exception("training run %s failed", spec.name)
        outcome["error"] = f"training failed: {e}"
    return outcome


class Reporter:
    """Sends the run's progress to the server every REPORT_SECONDS from a thread of its own, then the result."""

    def __init__(self, reports: Connection, progress: ProbeProgress):
        self.reports, self.reader = reports, ProgressReader(progress)
        self.lock = threading.Lock()  # one message at a time on the pipe
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._loop, daemon=True, name="progress-reports")
        self.thread.start()

    def _send(self, message) -> None:
        with self.lock:
            try:
                self.reports.send(message)
            except OSError:  # the server is gone: the run goes on to save what it has
                self.done.set()

    def _loop(self) -> None:
        while not self.done.wait(REPORT_SECONDS):
            self._send(("progress", self.reader.changes()))

    def finish(self, outcome: dict) -> None:
        self.done.set()
        self.thread.join()
        self._send(("progress", self.reader.changes()))  # the last losses and evaluations, the final probe
        self._send(("result", outcome))


def main(argv: list[str]) -> int:
    if len(argv) != 2 or not all(a.isdigit() for a in argv):
        print("usage: python -m explorer.training_worker COMMANDS_FD REPORTS_FD (started by the app's server)",
              file=sys.stderr)
        return 2
    logging.basicConfig(level=logging.INFO, format="training worker %(process)d: %(levelname)s %(message)s")
    torch.set_num_threads(1)  # one core per run: the server's cap of two runs is two cores
    torch.set_num_interop_threads(1)
    commands = Connection(int(argv[0]), writable=False)
    reports = Connection(int(argv[1]), readable=False)
    stop = Stop()
    for sig in (signal.SIGTERM, signal.SIGINT):  # the run ends its step and saves, as for Stop
        signal.signal(sig, lambda *_: stop.request("the training process was told to end"))
    spec = RunSpec(**commands.recv())  # sent as a dict: this module runs as __main__, so RunSpec is not found by name
    threading.Thread(target=stop.listen, args=(commands,), daemon=True, name="stop-listener").start()
    progress = ProbeProgress(every=spec.probe_every, total=spec.cfg.steps)
    reporter = Reporter(reports, progress)
    reporter.finish(run(spec, progress, stop))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
