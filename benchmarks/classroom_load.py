"""A classroom on one server: N browser sessions ask questions while K sessions train, then everyone leaves.

Prints what a teacher needs to know before sharing a link with a class:
- whether the server held (every session got its answer; no error element on any page),
- whether state crossed sessions (each session still shows its own question and answer at the end),
- the server's peak memory, and how long after the last browser closed its CPU returned to idle
  (training runs whose owner has gone are stopped by the server after NPX_OWNER_TIMEOUT seconds).

    python benchmarks/classroom_load.py [--askers 10] [--trainers 2] [--owner-timeout 20]

Needs Debian's Chromium at /usr/bin/chromium and the shipped checkpoints. Takes 2-4 minutes on 2 cores.
"""

from __future__ import annotations

import argparse
import os
import re
import socket
import subprocess
import sys
import tempfile
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


def start_server(port: int, runs: Path, owner_timeout: float) -> subprocess.Popen:
    env = {**os.environ, "NPX_RUNS_DIR": str(runs), "NPX_OWNER_TIMEOUT": str(owner_timeout)}
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
    steps = page.get_by_role("spinbutton", name="Training steps")
    steps.fill("100000")  # still running when the class leaves: the server must stop it
    steps.press("Enter")
    wait_for_app(page)
    page.get_by_role("button", name="Start training").click()
    wait_for_app(page)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--askers", type=int, default=10)
    ap.add_argument("--trainers", type=int, default=2)
    ap.add_argument("--owner-timeout", type=float, default=20.0, help="seconds before an ownerless run stops")
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
                    for _ in range(args.askers + args.trainers)]
        pages = [c.new_page() for c in contexts]
        started = time.time()
        t0 = time.time()  # one question with the server to itself (models loaded, nothing training)
        pages[0].goto(f"{url}/?table=shop_sales&q={quote_plus(QUESTIONS[0])}")
        wait_for_app(pages[0], timeout=180_000)
        alone_seconds = time.time() - t0
        for page in pages[args.askers:]:
            start_training(page, url)
        trainers_running = 0
        for page in pages[args.askers:]:
            page.get_by_text(re.compile(r"step [1-9]")).first.wait_for(timeout=120_000)  # its first step
            trainers_running += page.get_by_role("button", name="Stop").is_enabled()
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
        for page in pages[args.askers:]:
            wait_for_app(page, timeout=180_000)
            going_at_close += page.get_by_role("button", name="Stop").is_enabled()
        for c in contexts:
            c.close()
        browser.close()
    closed = time.time()

    # CPU after everyone left: idle once a 5-second window uses less than idle_cpu of one core
    window, idle_at, last = [], None, (time.time(), cpu_seconds(server.pid))
    while time.time() - closed < args.owner_timeout + 120:
        time.sleep(1.0)
        now = (time.time(), cpu_seconds(server.pid))
        window = (window + [(now[1] - last[1]) / (now[0] - last[0])])[-5:]
        last = now
        if len(window) == 5 and max(window) < args.idle_cpu:
            idle_at = now[0] - 5 - closed
            break
    alive = server.poll() is None
    health = urllib.request.urlopen(f"{url}/_stcore/health", timeout=5).read() == b"ok" if alive else False

    print(f"sessions: {args.askers} asking, {args.trainers} training ({trainers_running} runs were going)")
    print(f"one question alone (page load to answer): {alone_seconds:.1f} s")
    print(f"all {args.askers} askers answered in {ask_seconds:.1f} s (pages opened together while "
          f"{trainers_running} runs trained; median session {sorted(latencies)[len(latencies) // 2]:.1f} s; "
          f"{time.time() - started:.0f} s in all)")
    print(f"  the server used {ask_cpu:.1f} CPU s of those {ask_seconds:.1f} s (training included); the rest "
          "is the headless browsers rendering on the same cores (a classroom's browsers run on its own machines)")
    for i, (q, a) in sorted(seen.items()):
        print(f"  session {i:2d}: {q!r} -> {a}")
    print(f"training runs still going when everyone left: {going_at_close}")
    print(f"server memory while busy: {peak_busy.get('VmRSS', 0) / 1024:.0f} MB "
          f"(peak {peak_busy.get('VmHWM', 0) / 1024:.0f} MB)")
    print("CPU back to idle " + (f"{idle_at:.0f} s after the last browser closed" if idle_at is not None
                                  else f"NOT within {args.owner_timeout + 120:.0f} s")
          + f" (ownerless runs stop after {args.owner_timeout:.0f} s)")
    print(f"server alive and healthy afterwards: {alive and health}")
    print("state crossed sessions: " + ("no" if not problems else "YES"))
    for p in problems:
        print("  " + p)
    return 0 if not problems and idle_at is not None and health else 1


if __name__ == "__main__":
    raise SystemExit(main())
