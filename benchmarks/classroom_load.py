"""A classroom on one server: N browser sessions ask questions while K sessions train and S run a small sweep
(Train page), one more session tries to start a job beyond the server's cap, then everyone closes their tabs.

Prints what a teacher needs to know before sharing a link with a class:
- whether the server held (every session got its answer; no error element on any page),
- whether state crossed sessions (each session still shows its own question and answer at the end),
- whether the cap on running jobs held (training runs and small sweeps together),
- the peak memory of the server and every job it started (a small sweep's Ray processes included), and how
  long after the last tab closed all of them were idle (jobs whose owner has gone are stopped after
  NPX_OWNER_TIMEOUT seconds: default 40 s on a real server).

    python benchmarks/classroom_load.py [--askers 10] [--trainers 1] [--sweepers 1] [--owner-timeout 40]

Needs Debian's Chromium at /usr/bin/chromium and the shipped checkpoints. Takes 3-5 minutes on 2 cores.
"""

from __future__ import annotations

import argparse
import os
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path
from urllib.parse import quote_plus

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.e2e.helpers import wait_for_app  # noqa: E402

QUESTIONS = ["sum sales", "sum profit", "count", "greater 2015 year sum sales", "lesser 2012 year count",
             "greater 100 sales count", "sum orders", "sum visits", "greater 50 profit sum profit",
             "lesser 2014 year sum orders", "greater 2010 year count", "sum year"]
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
TICK = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process and its finished children, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return sum(int(v) for v in fields[11:15]) / TICK


def memory_kb(pid: int) -> dict:
    lines = Path(f"/proc/{pid}/status").read_text().splitlines()
    return {k: int(v.split()[0]) for k, v in (line.split(":", 1) for line in lines) if k in ("VmRSS", "VmHWM")}


def job_processes(server: int) -> list[int]:
    """The server and every process of the sessions its children lead (a small sweep runs in a session of its
    own; Ray's processes join it, and stay in it when orphaned)."""
    from explorer.small_sweep import session_members

    leaders = []
    for entry in Path("/proc").iterdir():
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split() if entry.name.isdigit() else []
        except OSError:
            continue
        if len(fields) > 3 and int(fields[1]) == server and int(fields[3]) == int(entry.name):
            leaders.append(int(entry.name))
    return [server, *(pid for leader in leaders for pid in session_members(leader))]


def total(pids: list[int], measure) -> float:
    """The sum of `measure(pid)` over the processes that still exist."""
    out = 0.0
    for pid in pids:
        try:
            out += measure(pid)
        except (OSError, IndexError, KeyError):  # ended meanwhile
            continue
    return out


class Sampler:
    """The total resident memory of the server and its jobs, sampled every second: its peak."""

    def __init__(self, server: int):
        self.server, self.peak_kb, self.sweep_seen = server, 0.0, False
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._loop, daemon=True)
        self.thread.start()

    def _loop(self) -> None:
        while not self.done.wait(1.0):
            pids = job_processes(self.server)
            self.sweep_seen |= len(pids) > 1
            self.peak_kb = max(self.peak_kb, total(pids, lambda p: memory_kb(p)["VmRSS"]))

    def stop(self) -> None:
        self.done.set()
        self.thread.join()


def start_server(port: int, runs: Path, owner_timeout: float) -> subprocess.Popen:
    env = {**os.environ, "NPX_RUNS_DIR": str(runs), "NPX_SWEEPS_DIR": str(runs / "sweeps"),
           "NPX_OWNER_TIMEOUT": str(owner_timeout)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(ROOT / "streamlit_app.py"), "--server.headless=true",
         "--server.address=127.0.0.1", f"--server.port={port}", "--browser.gatherUsageStats=false",
         "--server.fileWatcherType=none", "--global.developmentMode=false"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            if urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2).read() == b"ok":
                return proc
        except OSError:
            time.sleep(0.5)
    proc.kill()
    raise SystemExit("the server did not start")


def answer_of(page) -> str:
    return page.locator(".st-key-np_answer").first.inner_text().strip()


def errors_on(page) -> int:
    return page.locator("[data-testid=stException]").count()


def start_training(page, url: str) -> None:
    page.goto(f"{url}/train")
    wait_for_app(page)
    steps = page.get_by_role("spinbutton", name="Training steps", exact=True)
    steps.fill("100000")  # still running when the class leaves: the server must stop it
    steps.press("Enter")
    wait_for_app(page)
    page.get_by_role("button", name="Start training").click()
    wait_for_app(page)


def start_sweep(page, url: str) -> None:
    """The Train page's small sweep at its largest budget (still running when the class leaves)."""
    page.goto(f"{url}/train")
    wait_for_app(page)
    steps = page.get_by_role("spinbutton", name="Training steps per run")
    steps.fill("2000")
    steps.press("Enter")
    wait_for_app(page)
    page.get_by_role("button", name="Start sweep").click()
    wait_for_app(page)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--askers", type=int, default=10)
    ap.add_argument("--trainers", type=int, default=1)
    ap.add_argument("--sweepers", type=int, default=1, help="sessions starting a small sweep")
    ap.add_argument("--owner-timeout", type=float, default=40.0, help="seconds before an ownerless job stops")
    ap.add_argument("--idle-cpu", type=float, default=0.05, help="CPU share counted as idle")
    args = ap.parse_args()

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory() as tmp:
        server = start_server(port, Path(tmp) / "runs", args.owner_timeout)
        try:
            return run(args, server, url)
        finally:
            server.terminate()
            server.wait(timeout=20)


def run(args, server: subprocess.Popen, url: str) -> int:
    problems = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=CHROMIUM_ARGS)
        contexts = [browser.new_context(viewport={"width": 1400, "height": 900})
                    for _ in range(args.askers + args.trainers + args.sweepers + 1)]
        pages = [c.new_page() for c in contexts]
        over_cap = pages.pop()  # tries one job more than the cap allows
        sweepers = pages[args.askers + args.trainers:]
        pages = pages[:args.askers + args.trainers]
        sampler = Sampler(server.pid)
        started = time.time()
        t0 = time.time()  # one question with the server to itself (models loaded, nothing training)
        pages[0].goto(f"{url}/?table=shop_sales&q={quote_plus(QUESTIONS[0])}")
        wait_for_app(pages[0], timeout=180_000)
        alone_seconds = time.time() - t0
        for page in pages[args.askers:]:
            start_training(page, url)
        for page in sweepers:
            start_sweep(page, url)
        trainers_running = 0
        for page in pages[args.askers:]:
            page.get_by_text(re.compile(r"step [1-9]")).first.wait_for(timeout=120_000)  # its first step
            trainers_running += page.get_by_role("button", name="Stop", exact=True).is_enabled()
        sweeps_running = 0
        for page in sweepers:
            page.get_by_text(re.compile(r"runs finished · running")).first.wait_for(timeout=120_000)
            sweeps_running += page.get_by_role("button", name="Stop sweep").is_enabled()
        refused = None  # whether one more job than the cap was refused (None: the cap was not reached)
        if trainers_running + sweeps_running >= 2:
            over_cap.goto(f"{url}/train")
            wait_for_app(over_cap)
            refused = over_cap.get_by_text(re.compile(r"the limit is \d")).count() > 0 \
                and over_cap.get_by_role("button", name="Start sweep").is_disabled()
        seen = {}
        t_ask, cpu_ask = time.time(), cpu_seconds(server.pid)
        for i, page in enumerate(pages[:args.askers]):  # open every asker's page first: they load together
            q = QUESTIONS[i % len(QUESTIONS)]
            page.goto(f"{url}/?table=shop_sales&q={quote_plus(q)}", wait_until="commit")
        latencies = []
        for i, page in enumerate(pages[:args.askers]):
            wait_for_app(page, timeout=600_000)
            latencies.append(time.time() - t_ask)  # an upper bound for this session: waited in turn
            seen[i] = (QUESTIONS[i % len(QUESTIONS)], answer_of(page))
        ask_seconds, ask_cpu = time.time() - t_ask, cpu_seconds(server.pid) - cpu_ask
        # every session still shows its own question and answer after the others asked
        for i, page in enumerate(pages[:args.askers]):
            page.reload()
            wait_for_app(page, timeout=180_000)
            q_now = page.get_by_role("textbox", name="Question").input_value()
            if (q_now, answer_of(page)) != seen[i]:
                problems.append(f"session {i}: asked {seen[i]}, now shows {(q_now, answer_of(page))}")
            if errors_on(page):
                problems.append(f"session {i}: an error element is on the page")
        peak_busy = memory_kb(server.pid)
        going_at_close = 0
        for page in sweepers:
            going_at_close += page.get_by_role("button", name="Stop sweep").is_enabled()
        for page in pages[args.askers:]:
            wait_for_app(page, timeout=180_000)
            going_at_close += page.get_by_role("button", name="Stop", exact=True).is_enabled()
        for c in contexts:
            c.close()
        browser.close()
    closed = time.time()

    # CPU after everyone left, the server's and its jobs' (a sweep's Ray processes too): idle once a 5-second
    # window uses less than idle_cpu of one core
    cpu_all = lambda: total(job_processes(server.pid), cpu_seconds)  # noqa: E731
    window, idle_at, last = [], None, (time.time(), cpu_all())
    while time.time() - closed < args.owner_timeout + 120:
        time.sleep(1.0)
        now = (time.time(), cpu_all())
        window = (window + [(now[1] - last[1]) / (now[0] - last[0])])[-5:]
        last = now
        if len(window) == 5 and max(window) < args.idle_cpu:
            idle_at = now[0] - 5 - closed
            break
    sampler.stop()
    left = job_processes(server.pid)[1:]
    alive = server.poll() is None
    health = urllib.request.urlopen(f"{url}/_stcore/health", timeout=5).read() == b"ok" if alive else False

    print(f"sessions: {args.askers} asking, {args.trainers} training ({trainers_running} runs were going), "
          f"{args.sweepers} running a small sweep ({sweeps_running} sweeps were going)")
    if refused is not None:
        print(f"one more job than the cap of 2: {'refused' if refused else 'NOT refused'}")
    print(f"one question alone (page load to answer): {alone_seconds:.1f} s")
    print(f"all {args.askers} askers answered in {ask_seconds:.1f} s (pages opened together while "
          f"{trainers_running} runs trained; median session {sorted(latencies)[len(latencies) // 2]:.1f} s; "
          f"{time.time() - started:.0f} s in all)")
    print(f"  the server used {ask_cpu:.1f} CPU s of those {ask_seconds:.1f} s (training included); the rest "
          "is the headless browsers rendering on the same cores (a classroom's browsers run on its own machines)")
    for i, (q, a) in sorted(seen.items()):
        print(f"  session {i:2d}: {q!r} -> {a}")
    print(f"jobs still going when everyone left: {going_at_close}")
    print(f"server memory while busy: {peak_busy.get('VmRSS', 0) / 1024:.0f} MB "
          f"(peak {peak_busy.get('VmHWM', 0) / 1024:.0f} MB)")
    print(f"peak memory of the server and its jobs together (sampled every second): {sampler.peak_kb / 1024:.0f} MB")
    print("CPU (server and every job) back to idle " + (f"{idle_at:.0f} s after the last tab closed"
                                                        if idle_at is not None
                                                        else f"NOT within {args.owner_timeout + 120:.0f} s")
          + f" (ownerless jobs stop after {args.owner_timeout:.0f} s)")
    print(f"processes of the jobs left afterwards: {len(left)}")
    print(f"server alive and healthy afterwards: {alive and health}")
    print("state crossed sessions: " + ("no" if not problems else "YES"))
    for p in problems:
        print("  " + p)
    return 0 if not problems and idle_at is not None and health and not left and refused is not False else 1


if __name__ == "__main__":
    raise SystemExit(main())
