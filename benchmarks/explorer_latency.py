"""Browser latency of the Ask page: cold load to the first heatmap, and typing a question to heatmaps redrawn.

Starts `streamlit run streamlit_app.py` on a free port (the shipped checkpoints unless --checkpoints says
otherwise) and headless Debian Chromium (/usr/bin/chromium; never `playwright install`), then prints:

- cold load: a fresh server's first page, from navigation to the first heatmap drawn (s); then a warm load;
- type → redrawn: for each of --edits new questions, the time from the committing key (Enter) to the end of
  the rerun with the heatmaps drawn (p50/p90), and the same from the last keystroke of live typing, which
  adds the box's typing pause (context.LIVE_DELAY) before the rerun starts.

--with-training runs the same while two `python -m engine train` command-line runs (columns-3, one thread
each) train in the background, as two classroom training runs would, and says so in the output.
Times are taken inside the page (performance.now) from the key press to two animation frames after the
script-state attribute of the app returns to notRunning.

    .venv/bin/python benchmarks/explorer_latency.py [--with-training] [--edits 20]
"""

from __future__ import annotations

import argparse
import os
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


@contextmanager
def server(checkpoints: str, tmp: Path):
    port = free_port()
    env = {**os.environ, "NPX_CHECKPOINT_DIRS": checkpoints, "NPX_RUNS_DIR": str(tmp / "runs")}
    log = open(tmp / "server.log", "w")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(ROOT / "streamlit_app.py"), "--server.headless=true",
         "--server.address=127.0.0.1", f"--server.port={port}", "--browser.gatherUsageStats=false",
         "--server.fileWatcherType=none", "--global.developmentMode=false"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            try:
                if urllib.request.urlopen(f"{url}/_stcore/health", timeout=2).read() == b"ok":
                    break
            except OSError:
                time.sleep(0.5)
        else:
            raise SystemExit(f"streamlit did not start; see {tmp / 'server.log'}")
        yield url
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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--with-training", action="store_true", help="measure while two CLI training runs go on")
    ap.add_argument("--edits", type=int, default=20, help="new questions per condition (half by Enter, half by pause)")
    ap.add_argument("--checkpoints", default=str(ROOT / "checkpoints"))
    args = ap.parse_args()
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as d, sync_playwright() as pw:
        tmp = Path(d)
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        with server(args.checkpoints, tmp) as url:
            print(f"machine: {os.cpu_count()} CPUs; viewport 1400×900; checkpoints {args.checkpoints}")
            print(f"cold load to the first heatmap (fresh server): {load_time(page, url):.2f} s")
            print(f"warm load to the first heatmap: {load_time(page, url):.2f} s")
            settle(page)
            enter, typing = measure(page, args.edits)
            print("idle (no training):")
            print("  " + report("Enter → heatmaps redrawn", enter))
            print("  " + report("last keystroke → heatmaps redrawn (incl. the typing pause)", typing))
            if args.with_training:
                with training_runs(2, tmp):
                    enter, typing = measure(page, args.edits)
                print("while two `python -m engine train --task columns-3 --threads 1` runs train:")
                print("  " + report("Enter → heatmaps redrawn", enter))
                print("  " + report("last keystroke → heatmaps redrawn (incl. the typing pause)", typing))
        browser.close()


if __name__ == "__main__":
    main()
