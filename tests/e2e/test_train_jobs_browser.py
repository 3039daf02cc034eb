"""Browser tests of the Train page's jobs (issue 19): a custom set uploaded after choosing its task is
fine-tuned, not trained afresh (item 7); a small sweep (the real one: Ray Tune) is found and stopped after a
reload, and ends with all its processes once its last tab is closed (item 1)."""

from __future__ import annotations

import json
import os
import re
import time
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from explorer import small_sweep
from tests.e2e.conftest import serve_app
from tests.e2e.helpers import need_chromium, wait_for_app

pytestmark = pytest.mark.e2e  # without Chromium the app_url fixture skips, or fails when CI is set

EXAMPLE = {"columns": ["A"], "rows": [[1], [2], [3]], "question": "count", "answer": {"scalar": 3}}


def _select(page: Page, label: str, option: str) -> None:
    page.get_by_test_id("stSelectbox").filter(has_text=label).first.click()
    page.get_by_role("option", name=option).click()
    wait_for_app(page)


def test_an_upload_after_choosing_the_custom_task_is_fine_tuned(page: Page, app_url, tmp_path):
    """Before: the upload changed the task's label, the choice went back to single-column, and Start trained a
    fresh model (fine_tuned_from: None)."""
    upload = tmp_path / "custom.jsonl"
    upload.write_text("\n".join(json.dumps(EXAMPLE) for _ in range(3)) + "\n")
    page.goto(f"{app_url}/train")
    wait_for_app(page)
    _select(page, "Task", "the custom set from Teach (fine-tune a checkpoint)")
    page.locator("input[type=file]").first.set_input_files(str(upload))
    expect(page.get_by_text("Added 3 example(s).")).to_be_visible(timeout=30_000)
    wait_for_app(page)
    expect(page.get_by_text("Fine-tune this checkpoint")).to_be_visible()  # drawn only for the custom task
    page.get_by_role("button", name="Start training").click()
    expect(page.get_by_text(re.compile(r"saved as checkpoint \*?\*?trained/.*-ft-"))).to_be_visible(timeout=120_000)
    expect(page.get_by_text("Taught examples answered right")).to_be_visible()


# ----------------------------------------------------------------------------- the small sweep (item 1)

OWNER_TIMEOUT = 8  # seconds: the dedicated server's owner timeout, so a closed tab is noticed quickly


@pytest.fixture
def sweep_server(tmp_path):
    """A server of this test's own (a short owner timeout would stop the shared server's other runs), with
    its sweeps in tmp_path."""
    need_chromium()
    env = {**os.environ, "NPX_SWEEPS_DIR": str(tmp_path / "sweeps"), "NPX_RUNS_DIR": str(tmp_path / "runs"),
           "NPX_OWNER_TIMEOUT": str(OWNER_TIMEOUT)}
    log_path = tmp_path / "server.log"
    with open(log_path, "w") as log, serve_app(env, log) as url:
        yield url, tmp_path / "sweeps"
    assert "Traceback" not in log_path.read_text(), log_path.read_text()[-3000:]


def _sweep_session(root: Path) -> list[int]:
    """The processes of the sweep running under `root` (its leader's session: Ray's processes included)."""
    for entry in Path("/proc").iterdir():
        try:
            cmdline = (entry / "cmdline").read_bytes().split(b"\0") if entry.name.isdigit() else []
        except OSError:
            continue
        if b"sweep" in cmdline and any(str(root).encode() in arg for arg in cmdline):
            members = small_sweep.session_members(int(entry.name))
            if members:
                return members
    return []


def _until(condition, seconds: float) -> float | None:
    """Seconds until `condition` held (None: it never did within `seconds`)."""
    start = time.monotonic()
    while time.monotonic() - start < seconds:
        if condition():
            return time.monotonic() - start
        time.sleep(0.25)
    return None


def _start_sweep(page: Page, root: Path) -> None:
    page.get_by_role("spinbutton", name="Training steps per run").fill("2000")
    page.get_by_role("spinbutton", name="Training steps per run").press("Enter")
    wait_for_app(page)
    page.get_by_role("button", name="Start sweep").click()
    expect(page.get_by_text(re.compile(r"runs finished · running"))).to_be_visible(timeout=30_000)
    assert _until(lambda: len(_sweep_session(root)) >= 3, 90) is not None, "Ray did not start"


def test_a_small_sweep_is_stopped_after_a_reload_and_reaped_when_its_tab_closes(page: Page, sweep_server):
    """Before: after a reload "Stop sweep" was disabled, and with every tab closed the sweep and its Ray
    processes ran on for minutes."""
    url, root = sweep_server
    page.goto(f"{url}/train")
    wait_for_app(page)
    _start_sweep(page, root)
    assert "run=" in page.url  # the run token, as a training run's: a reload finds the sweep
    page.reload()
    wait_for_app(page)
    stop = page.get_by_role("button", name="Stop sweep")
    expect(stop).to_be_enabled(timeout=30_000)
    stop.click()
    assert _until(lambda: not _sweep_session(root), 30) is not None, "Stop left processes of the sweep"
    expect(page.get_by_text(re.compile(r"runs finished · not running"))).to_be_visible(timeout=30_000)

    expect(page.get_by_role("button", name="Start sweep")).to_be_enabled(timeout=30_000)
    _start_sweep(page, root)  # the same settings: resumed
    page.close()  # the last tab
    seconds = _until(lambda: not _sweep_session(root), 60)
    assert seconds is not None, "the sweep outlived its closed tab by a minute"
    assert seconds <= OWNER_TIMEOUT + 20, f"{seconds:.0f} s after the tab closed"
