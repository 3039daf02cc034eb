"""Playwright fixtures: the app started as the README starts it (`python -m explorer.serve`: warm, then
`streamlit run`) on 127.0.0.1, and the system Chromium (never `playwright install`).

The server reads tiny checkpoints written to a temporary directory (the AppTest helpers' sum model, an
untrained letters model, the model that prints the named column and an untrained paper2016 model);
NPX_E2E_CHECKPOINT_DIRS points it at other checkpoints instead (for example `checkpoints/` to take the
README screenshot with the shipped models). Every test ends with a check that no error reached its page
or the server log.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.e2e.helpers import CHROMIUM, SERVER_LOG, SHOTS, expect_no_app_error, need_chromium, server_log_since
from tests.ui.helpers import (
    PAPER,
    PRINT_MODEL,
    ROOT,
    make_letters_model,
    make_paper_model,
    make_print_model,
    make_sum_model,
)

SERVER_START_S = 180  # the launcher's warm-up (torch, the models, two pages) on a loaded 2-core machine included


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    need_chromium()  # before any browser starts: skip here, or fail in CI
    return {
        **browser_type_launch_args,
        "executable_path": str(CHROMIUM),
        "headless": True,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ],
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "viewport": {"width": 1400, "height": 1000}}


@pytest.fixture(scope="session")
def app_url(tmp_path_factory):
    """Start the app once for the whole e2e session; stop it afterwards."""
    need_chromium()
    tmp = tmp_path_factory.mktemp("e2e")
    ckpts = os.environ.get("NPX_E2E_CHECKPOINT_DIRS")
    if not ckpts:
        ckpts = str(tmp / "checkpoints")
        make_sum_model(Path(ckpts) / "names-5.safetensors")
        make_letters_model(Path(ckpts) / "single-column.safetensors")
        make_print_model(Path(ckpts) / f"{PRINT_MODEL}.safetensors")
        make_paper_model(Path(ckpts) / f"{PAPER}.safetensors")  # the lesson "Why gradient descent gets stuck"
    SHOTS.mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        "NPX_CHECKPOINT_DIRS": ckpts,
        "NPX_RUNS_DIR": str(tmp / "runs"),
        "NPX_BASELINE_DIR": str(tmp / "baselines"),
        "NPX_SWEEP_DIRS": str(tmp_path_factory.getbasetemp()),  # the sweeps tests type paths in their tmp_path
    }
    with open(SERVER_LOG, "w") as log, serve_app(env, log) as url:
        yield url


@contextmanager
def serve_app(env: dict, log) -> Iterator[str]:
    """The app's launcher (explorer/serve.py) on a free port of 127.0.0.1 with the environment `env`, writing to
    `log`; yields its address once it serves (after its warm-up) and stops it afterwards (tests that need a server
    of their own use it too)."""
    port = _free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "explorer.serve",
            "--server.headless=true",
            "--server.address=127.0.0.1",
            f"--server.port={port}",
            "--browser.gatherUsageStats=false",
            "--server.fileWatcherType=none",
            "--global.developmentMode=false",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + SERVER_START_S
    while time.time() < deadline:
        try:
            if urllib.request.urlopen(f"{url}/_stcore/health", timeout=2).read() == b"ok":
                break
        except OSError:
            if proc.poll() is not None:
                pytest.fail(f"the server ended before it served; see {log.name}")
            time.sleep(0.5)
    else:
        proc.terminate()
        pytest.fail(f"streamlit did not start; see {log.name}")
    try:
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture(autouse=True)
def no_errors(request):
    """After every browser test: no uncaught exception on its page and no traceback in the server log.

    It asks for the server and the page itself, so it runs after they start and ends before they close."""
    if "app_url" not in request.fixturenames:
        yield
        return
    request.getfixturevalue("app_url")
    page = request.getfixturevalue("page") if "page" in request.fixturenames else None
    start = SERVER_LOG.stat().st_size
    yield
    if page is not None:
        expect_no_app_error(page)
    logged = server_log_since(start)
    assert "Traceback" not in logged, f"the server logged an error during the test:\n{logged[-3000:]}"
