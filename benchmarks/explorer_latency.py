"""Browser latency of the Ask page: cold load to the first heatmap, and typing a question to heatmaps redrawn.

Starts the app on a free port as the README does, `python -m explorer.serve` (explorer/serve.py: warm before it
serves), or with --start streamlit as a plain `streamlit run streamlit_app.py` (cold: torch and the checkpoints are
loaded by the first page), on the shipped checkpoints unless --checkpoints says otherwise, and headless Debian
Chromium (/usr/bin/chromium; never `playwright install`), then prints:

- the server's start: from the command to the server answering (a launcher's warm-up included);
- cold load: a fresh server's first page, from navigation to the first heatmap drawn (s); then a new session
  on the running server in a new browser (nothing cached in it: another student) and a reload of the first tab;
- type → redrawn: for each of --edits new questions, the time from the committing key (Enter) to the end of
  the rerun with the heatmaps drawn (p50/p90), and the same from the last keystroke of live typing, which
  adds the box's typing pause (context.LIVE_DELAY) before the rerun starts.

--with-training runs the same while two `python -m engine train` command-line runs (columns-3, one thread
each) train in the background, as two classroom training runs would, and says so in the output.
--with-app-training runs it while two runs started on the app's own Train page (two more browser sessions,
100,000 steps each on 500 examples, their Train pages left open) train on the server, as in a classroom.
Times are taken inside the page (performance.now) from the key press to two animation frames after the
script-state attribute of the app returns to notRunning. --loads-only stops after the loads.

    .venv/bin/python benchmarks/explorer_latency.py [--start launcher|streamlit] [--loads-only] [--with-training]
        [--with-app-training] [--edits 20]
"""

from __future__ import annotations

import argparse
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
VIEWPORT = {"width": 1400, "height": 900}
QUESTIONS = [f"greater {2000 + i} year sum {col}" for i, col in
             zip(range(9, 21), ["sales", "profit", "orders", "visits"] * 3, strict=False)]

# records when the app's script state changes (page time), so a rerun's end is measured inside the page
WATCH = """() => {
  window.npxRuns = [];
  const app = document.querySelector('[data-testid=stApp]');
  new MutationObserver(() => window.npxRuns.push([app.getAttribute('data-test-script-state'),
                                                 performance.now()]))
    .observe(app, {attributes: true, attributeFilter: ['data-test-script-state']});
}"""
# resolves with the page time two frames after the first notRunning that follows a running since t0
DONE = """(t0) => new Promise(resolve => {
  const check = () => {
    const runs = window.npxRuns.filter(r => r[1] >= t0);
    const started = runs.findIndex(r => r[0] === 'running');
    const ended = started >= 0 && runs.slice(started).find(r => r[0] === 'notRunning');
    if (ended) requestAnimationFrame(() => requestAnimationFrame(() => resolve(performance.now())));
    else setTimeout(check, 5);
  };
  check();
})"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# how the server is started: the README's launcher (warm before serving) or Streamlit alone (cold)
START = {"launcher": [sys.executable, "-m", "explorer.serve"],
         "streamlit": [sys.executable, "-m", "streamlit", "run", str(ROOT / "streamlit_app.py")]}
START_TIMEOUT_S = 300  # a launcher's warm-up on a loaded 2-core machine included


@contextmanager
def server(start: str, checkpoints: str, tmp: Path):
    """(address, seconds from the command to the server answering) of a fresh server, stopped afterwards."""
    port = free_port()
    env = {**os.environ, "NPX_CHECKPOINT_DIRS": checkpoints, "NPX_RUNS_DIR": str(tmp / "runs")}
    log = open(tmp / "server.log", "w")  # noqa: SIM115 - closed below
    began = time.perf_counter()
    proc = subprocess.Popen(
        [*START[start], "--server.headless=true", "--server.address=127.0.0.1", f"--server.port={port}",
         "--browser.gatherUsageStats=false", "--server.fileWatcherType=none", "--global.developmentMode=false"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        while True:
            try:
                if urllib.request.urlopen(f"{url}/_stcore/health", timeout=2).read() == b"ok":
                    break
            except OSError:
                if proc.poll() is not None or time.perf_counter() - began > START_TIMEOUT_S:
                    raise SystemExit(f"the server did not start; see {tmp / 'server.log'}") from None
                time.sleep(0.2)
        yield url, time.perf_counter() - began
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        log.close()


@contextmanager
def training_runs(n: int, tmp: Path):
    """n command-line training runs in the background (stopped when the measurement ends)."""
    procs = [subprocess.Popen(
        [sys.executable, "-m", "engine", "train", "--task", "columns-3", "--output", str(tmp / f"bg{i}.safetensors"),
         "--steps", "100000", "--threads", "1", "--seed", str(i)],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for i in range(n)]
    try:
        time.sleep(5)  # past the start-up (imports, data generation): measure while they train
        if any(p.poll() is not None for p in procs):
            raise SystemExit("a background training run ended early")
        yield
    finally:
        for p in procs:
            p.terminate()
            p.wait(timeout=30)


# the Train page's defaults but for the length and small data sets: the runs train (each step as costly as with
# more data) soon after they start, on a busy machine too
APP_RUN = (("Training steps", "100000"), ("Training examples", "500"), ("Validation examples", "50"),
           ("Test examples", "50"))


@contextmanager
def app_training_runs(n: int, browser, url: str):
    """n runs started on the Train page of n other browser sessions, measured once all of them are training
    (their pages stay open, so their owners are there); their sessions are closed when the measurement ends."""
    contexts = [browser.new_context(viewport=VIEWPORT) for _ in range(n)]
    try:
        for context in contexts:
            page = context.new_page()
            page.goto(f"{url}/train")
            page.wait_for_selector("[data-testid=stApp][data-test-script-state=notRunning]", timeout=120_000)
            page.get_by_text("Data sizes").click()
            for label, value in APP_RUN:
                field = page.get_by_role("spinbutton", name=label, exact=True)
                field.fill(value)
                field.press("Enter")
                settle(page)
            page.get_by_role("button", name="Start training").click()
        for context in contexts:  # past the start-up (data generation): measure while they train
            context.pages[0].get_by_text(re.compile(r"step [1-9]\d* of 100000")).first.wait_for(timeout=600_000)
        yield
    finally:
        for context in contexts:
            context.close()


def load_time(page, url: str) -> float:
    start = time.perf_counter()
    page.goto(url)
    page.locator("[data-testid=stPlotlyChart] .main-svg").first.wait_for(state="visible", timeout=120_000)
    page.wait_for_selector("[data-testid=stApp][data-test-script-state=notRunning]", timeout=120_000)
    return time.perf_counter() - start


def settle(page) -> None:
    """Until no rerun is pending: past the typing pause, and the app idle twice in a row."""
    for _ in range(2):
        page.wait_for_timeout(450)
        page.wait_for_selector("[data-testid=stApp][data-test-script-state=notRunning]", timeout=60_000)


def measure(page, edits: int) -> tuple[list[float], list[float]]:
    """(Enter → redrawn, last keystroke → redrawn) in seconds, alternating, one per new question."""
    box = page.get_by_role("textbox", name="Question")
    page.evaluate(WATCH)
    on_enter, on_typing = [], []
    for i in range(edits):
        q = QUESTIONS[i % len(QUESTIONS)] + (f" {i}" if i >= len(QUESTIONS) else "")
        box.fill(q[:-1])  # everything but the last character (its own rerun, waited out)
        settle(page)
        box.press("End")
        t0 = page.evaluate("performance.now()")
        box.press(q[-1])
        if i % 2:  # odd edits: commit with Enter at once; even ones: the typing pause commits
            t0 = page.evaluate("performance.now()")
            box.press("Enter")
        end = page.evaluate(DONE, t0)
        (on_enter if i % 2 else on_typing).append((end - t0) / 1000)
        settle(page)
    return on_enter, on_typing


def pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(q * (len(xs) - 1))))]


def report(name: str, xs: list[float]) -> str:
    return f"{name}: p50 {statistics.median(xs):.2f} s, p90 {pct(xs, 0.9):.2f} s (n={len(xs)})"


def print_condition(title: str, enter: list[float], typing: list[float]) -> None:
    print(title)
    print("  " + report("Enter → heatmaps redrawn", enter))
    print("  " + report("last keystroke → heatmaps redrawn (incl. the typing pause)", typing))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--with-training", action="store_true", help="measure while two CLI training runs go on")
    ap.add_argument("--with-app-training", action="store_true",
                    help="measure while two runs started on the app's Train page go on in the server")
    ap.add_argument("--edits", type=int, default=20, help="new questions per condition (half by Enter, half by pause)")
    ap.add_argument("--checkpoints", default=str(ROOT / "checkpoints"))
    ap.add_argument("--start", choices=sorted(START), default="launcher",
                    help="launcher: `python -m explorer.serve` (the README's); streamlit: `streamlit run` alone")
    ap.add_argument("--loads-only", action="store_true", help="measure the loads only, not the typing")
    args = ap.parse_args()
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as d, sync_playwright() as pw:
        tmp = Path(d)
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        page = browser.new_page(viewport=VIEWPORT)
        with server(args.start, args.checkpoints, tmp) as (url, started):
            print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}; viewport 1400×900; "
                  f"checkpoints {args.checkpoints}")
            print(f"server started with {' '.join(START[args.start][1:])}: answering after {started:.1f} s")
            print(f"cold load to the first heatmap (fresh server): {load_time(page, url):.2f} s")
            other = browser.new_page(viewport=VIEWPORT)  # its own context: nothing of the app cached in it yet
            print(f"new session in a new browser (running server): {load_time(other, url):.2f} s")
            other.close()
            print(f"new session, the first tab reloaded: {load_time(page, url):.2f} s")
            if args.loads_only:
                browser.close()
                return
            settle(page)
            print_condition("idle (no training):", *measure(page, args.edits))
            if args.with_training:
                with training_runs(2, tmp):
                    times = measure(page, args.edits)
                print_condition("while two `python -m engine train --task columns-3 --threads 1` runs train:", *times)
            if args.with_app_training:
                with app_training_runs(2, browser, url):
                    times = measure(page, args.edits)
                print_condition("while two runs started on the Train page (100,000 steps each) train in the server:",
                                *times)
        browser.close()


if __name__ == "__main__":
    main()
