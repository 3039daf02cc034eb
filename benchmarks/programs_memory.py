"""The Programs page's memory: N browser sessions each evaluate a checkpoint on n test questions, then leave.

"before" does what the page did until issue 19: generate, evaluate and summarise in the page's thread and keep
everything (every table) in the session, one dict per session, until Streamlit drops the session. "after" runs
each evaluation as a job of the server's registry (explorer/evaluations.py) for its own owner token, keeps the
owners' heartbeat while they are "open", then stops it and lets the reaper forget the jobs. Each mode runs in a
fresh process and prints its resident memory (VmRSS) after each evaluation, once the owners are gone, and its
peak (VmHWM).

    .venv/bin/python benchmarks/programs_memory.py [--sessions 4] [--n 5000] [--ckpt checkpoints/columns-10.safetensors]
        [--mode both|before|after|after-no-trim]

Takes about a minute on an idle 2-core machine at 5,000 columns-10 examples (4 sessions, both modes); several
minutes when the machine is busy (the evaluation jobs run at jobs.NICENESS).
"""

from __future__ import annotations

import argparse
import gc
import os
import pickle
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
OWNER_TIMEOUT = 5.0  # seconds: short, so the reaper's work shows within the run


def status(field: str) -> int:
    """A figure of /proc/self/status, in MB (VmRSS: resident now, VmHWM: the peak)."""
    with open("/proc/self/status", encoding="ascii") as f:
        line = next(line for line in f if line.startswith(field + ":"))
    return int(line.split()[1]) // 1024


def report(what: str, started: float) -> None:
    print(f"{time.monotonic() - started:7.1f} s  {what:<50} RSS {status('VmRSS'):6,} MB  (peak {status('VmHWM'):,} MB)",
          flush=True)


def before(args, model, vocab, started: float) -> None:
    from engine.np2016.data import tasks as data
    from explorer import programs

    sessions = {}
    for i in range(args.sessions):
        examples = data.generate(args.task, "test", args.n, args.seed + i)
        results = programs.induced_programs(model, vocab, examples)
        sessions[i] = {"examples": examples, "results": results, "summary": programs.summarise(examples, results)}
        report(f"session {i + 1}: evaluated, kept in its state", started)
    time.sleep(OWNER_TIMEOUT * 2)
    report("tabs closed (sessions not dropped yet)", started)
    sessions.clear()
    gc.collect()
    report("sessions dropped by Streamlit", started)


def _wait_beating(job, owners: list[str]) -> None:
    """Wait for `job` to end while every owner's page beats (as the Programs page's fragments do)."""
    from explorer import jobs

    while job.running:
        for owner in owners:
            jobs.touch(owner)
        time.sleep(0.2)


def after(args, model, vocab, started: float) -> None:
    from explorer import evaluation_result, evaluations, jobs

    if args.mode == "after-no-trim":
        evaluation_result.release_memory = lambda: None
    owners = []
    for i in range(args.sessions):
        owners.append(jobs.new_owner())
        job = evaluations.start(owners[-1], Path(args.ckpt).stem, model, vocab, args.task, args.n, args.seed + i)
        _wait_beating(job, owners)
        assert job.result is not None, job.error or job.stop_reason
        kept = len(pickle.dumps(job.result)) / 2**20
        report(f"session {i + 1}: evaluated, {kept:.1f} MB (pickled) on its job", started)
    deadline = time.monotonic() + OWNER_TIMEOUT * 4 + 10
    while any(jobs.find(owner, evaluations.KIND) for owner in owners) and time.monotonic() < deadline:
        time.sleep(0.25)
    gone = not any(jobs.find(owner, evaluations.KIND) for owner in owners)
    gc.collect()
    report(f"tabs closed, {'jobs forgotten' if gone else 'JOBS STILL HELD'}", started)


def run_mode(args) -> None:
    os.environ["NPX_OWNER_TIMEOUT"] = str(OWNER_TIMEOUT)
    from engine.np2016.checkpoint import load_checkpoint

    started = time.monotonic()
    model, vocab, _ = load_checkpoint(args.ckpt)
    print(f"mode {args.mode}: {args.sessions} sessions x {args.n:,} {args.task} examples, {args.ckpt}")
    report("model loaded", started)
    (before if args.mode == "before" else after)(args, model, vocab, started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, default=4)
    parser.add_argument("--n", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--ckpt", default=str(ROOT / "checkpoints" / "columns-10.safetensors"))
    parser.add_argument("--task", default=None, help="the checkpoint's own task when left out")
    parser.add_argument("--mode", default="both", choices=["both", "before", "after", "after-no-trim"])
    args = parser.parse_args()
    if args.task is None:
        args.task = Path(args.ckpt).stem.removeprefix("paper2016-")
    if args.mode != "both":
        run_mode(args)
        return
    for mode in ("before", "after"):  # each in a fresh process: freed memory of one must not hide the other's
        subprocess.run([sys.executable, __file__, "--sessions", str(args.sessions), "--n", str(args.n), "--seed",
                        str(args.seed), "--ckpt", args.ckpt, "--task", args.task, "--mode", mode], check=True)


if __name__ == "__main__":
    main()
