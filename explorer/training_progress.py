"""A training run's progress as it crosses from its worker process (explorer/training_worker.py) to the server
(explorer/training.py): the worker's `Progress` is read as changes since the last report (new losses and
evaluations, the scalar fields, a new probe snapshot) and the server's copy is brought up to date from them, so
the Train page polls the same `Progress` (and probe weights) as when the run trained in the server's own thread.

Weights cross as numpy arrays: torch's own pickling of tensors goes through shared memory and file descriptors,
which a plain pipe between two unrelated processes cannot carry.
"""

from __future__ import annotations

import torch

from engine.np2016.train import Progress

# every field of Progress that is not a list (nor the lock): sent whole in every report
SCALARS = ("total", "step", "best_accuracy", "started", "done", "stopped", "error", "message", "eval_every",
           "step_seconds", "eval_seconds", "last_tick", "timed_steps", "timed_by_trainer", "timed_evals")
LISTS = ("losses", "evals")
STARTING = "starting the training process"  # the message until the worker's run says what it is doing


class ProbeProgress(Progress):
    """Progress that also keeps a copy of the model's weights every `every` steps (for the probe view)."""

    def __init__(self, every: int, **kw):
        super().__init__(**({"message": STARTING} | kw))
        self.every = max(1, every)
        self.probe_state: tuple[int, dict] | None = None

    def on_step(self, step: int, model) -> None:
        if step == 1 or step % self.every == 0:
            state = {k: v.detach().clone() for k, v in model.state_dict().items()}
            with self.lock:
                self.probe_state = (step, state)


class ProgressReader:
    """The worker's side: what changed in `progress` since the previous `changes()`."""

    def __init__(self, progress: ProbeProgress):
        self.progress = progress
        self.sent = dict.fromkeys(LISTS, 0)  # how many items of each list the server has
        self.probe_step: int | None = None  # the step of the probe snapshot the server has

    def changes(self) -> dict:
        """{"scalars": {...}, "lists": {name: (from, items)}, "probe": (step, {name: array}) or None}: the
        server's lists are replaced from index `from` on (a list the run rewrote shorter is sent from there)."""
        p = self.progress
        with p.lock:
            scalars = {name: getattr(p, name) for name in SCALARS}
            lists = {}
            for name in LISTS:
                items = getattr(p, name)
                start = min(self.sent[name], len(items))
                lists[name] = (start, [tuple(item) for item in items[start:]])
                self.sent[name] = len(items)
            snapshot = p.probe_state
        probe = None
        if snapshot is not None and snapshot[0] != self.probe_step:
            self.probe_step = snapshot[0]
            probe = (snapshot[0], {k: v.numpy() for k, v in snapshot[1].items()})  # a copy, taken as it is pickled
        return {"scalars": scalars, "lists": lists, "probe": probe}


def apply_changes(progress: ProbeProgress, changes: dict) -> None:
    """The server's side: bring `progress` up to date with a worker's `changes()`."""
    probe = None
    if changes["probe"] is not None:
        step, arrays = changes["probe"]
        probe = (step, {k: torch.from_numpy(v) for k, v in arrays.items()})
    with progress.lock:
        for name, value in changes["scalars"].items():
            setattr(progress, name, value)
        for name, (start, items) in changes["lists"].items():
            getattr(progress, name)[start:] = items
        if probe is not None:
            progress.probe_state = probe
