"""The Programs page's evaluations: a checkpoint run on a generated test set, as a job of the server's one
registry (explorer/jobs.py). Its compact result (explorer/evaluation_result.py) lives on the job, not in the
session, and goes when the reaper forgets the job. It does not count toward the cap of training runs and small
sweeps (it lasts a minute at most, and its owner is watching); KIND_LIMIT caps evaluations on their own.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from functools import partial

from engine.np2016.data import tasks as data
from explorer import evaluation_result, jobs, programs

log = logging.getLogger(__name__)
KIND = "evaluation"
# One at a time on the server. Two would not finish sooner: torch already spreads one evaluation over both
# cores (5,000 columns-10 examples: 6 s on an idle machine, up to a minute beside two training runs). And each
# one holds its generated test set until the model has read it (300 MB at 5,000 examples), so the cap is also
# the bound on that memory.
KIND_LIMIT = 1
MAX_EXAMPLES = 5000
BATCH_SIZE = 200  # examples per forward pass; the stop event is checked between two (0.2 to 2 s apart)
GENERATING, EVALUATING = "generating the test questions", "evaluating"


@dataclass(eq=False)
class Evaluation(jobs.ThreadJob):
    """One evaluation of checkpoint `ckpt` on n test questions of `task`, owned by the browser holding `owner`."""

    kind = KIND
    counted = False  # not one of the MAX_ACTIVE_JOBS slots of training runs and small sweeps

    owner: str
    ckpt: str
    task: str
    n: int
    seed: int
    model: object | None  # the shared, cached model while the evaluation runs; dropped when it ends
    vocab: object | None
    phase: str = GENERATING
    done: int = 0  # examples evaluated so far
    result: evaluation_result.Result | None = None  # set when every example was evaluated


def start(owner: str, ckpt: str, model, vocab, task: str, n: int, seed: int) -> Evaluation:
    """Evaluate `model` (checkpoint `ckpt`) on `n` test questions of `task` (seed `seed`) in the background."""
    if task not in data.TASKS:
        raise jobs.JobRefused(f"unknown task {task!r}: one of {', '.join(data.TASKS)}")
    if not isinstance(n, int) or not 1 <= n <= MAX_EXAMPLES:
        raise jobs.JobRefused(f"the number of examples must be 1 to {MAX_EXAMPLES:,}, got {n!r}")
    job = Evaluation(owner, ckpt, task, n, int(seed), model, vocab)
    job.thread = threading.Thread(target=_work, args=(job,), daemon=True, name=f"evaluation-{str(owner)[:6]}")
    return jobs.register(job, kind_limit=KIND_LIMIT, noun="evaluation")


# the owner's latest evaluation, running or ended, while the server has it; stop ends their running one (it keeps
# nothing): False when none runs
mine, stop = partial(jobs.find, kind=KIND), partial(jobs.stop, kind=KIND)


def _work(job: Evaluation) -> None:
    jobs.lower_thread_priority()
    try:
        packed = _packed_answers(job)  # the test set is made and let go in there
        if packed is not None:  # None: stopped
            job.result = evaluation_result.unpack(job.ckpt, job.task, job.n, job.seed, packed)
    except Exception as e:  # noqa: BLE001 - shown on the page, logged with its traceback
        log.exception("evaluation of %s on %s failed", job.ckpt, job.task)
        job.error = f"the evaluation failed: {e}"
    finally:
        job.model = job.vocab = None
        job.finished = time.time()
        evaluation_result.release_memory()  # the test set's freed pages, back to the system


def _packed_answers(job: Evaluation) -> list[str] | None:
    """The test set made and read by the model batch by batch, each batch's tables let go once read; what is
    kept of each batch, packed (evaluation_result.pack). None when the job was asked to stop."""
    examples = data.generate(job.task, evaluation_result.SPLIT, job.n, job.seed, stop=job.stop.is_set)
    if job.stop.is_set():
        return None
    job.phase = EVALUATING
    packed = []
    for first in range(0, len(examples), BATCH_SIZE):
        if job.stop.is_set():
            return None
        batch = examples[first : first + BATCH_SIZE]
        examples[first : first + BATCH_SIZE] = [None] * len(batch)  # the batch's tables go once it is read
        answers = programs.induced_programs(job.model, job.vocab, batch, batch_size=BATCH_SIZE)
        packed.append(evaluation_result.pack(batch, answers))
        job.done = first + len(batch)
    return None if job.stop.is_set() else packed  # asked during the last batch: nothing
