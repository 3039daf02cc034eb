"""Helpers of the browser tests: find Chromium, wait for a Streamlit run to finish, check that no error
reached the page or the server log, take full-page screenshots."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.ui.helpers import ROOT

OUT = ROOT / "test-output"
SHOTS = OUT / "screenshots"
SERVER_LOG = OUT / "e2e-server.log"
CHROMIUM = Path("/usr/bin/chromium")
# what Streamlit shows for an uncaught exception while client.showErrorDetails = "none"
GENERIC_ERROR = "This app has encountered an error"


def need_chromium() -> None:
    """Skip without Chromium on a developer's machine; fail in CI (CI=1), where a skip would hide the tests."""
    if CHROMIUM.exists():
        return
    message = f"{CHROMIUM} is not installed (apt-get install -y chromium)"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def expect_no_app_error(page) -> None:
    """No uncaught exception on the page: Streamlit's exception element and its generic text are absent."""
    expect(page.locator("[data-testid=stException]")).to_have_count(0)
    expect(page.get_by_text(GENERIC_ERROR)).to_have_count(0)


def server_log_since(offset: int) -> str:
    with SERVER_LOG.open("rb") as f:
        f.seek(offset)
        return f.read().decode("utf-8", "replace")


def wait_for_app(page, timeout: float = 60_000) -> None:
    """Until the script has finished running and nothing is still a loading skeleton."""
    page.wait_for_selector("[data-testid=stApp][data-test-script-state=notRunning]", timeout=timeout)
    page.wait_for_function(
        "document.querySelectorAll('[data-testid=stSkeleton]').length === 0", timeout=timeout
    )
    page.wait_for_timeout(300)
    page.wait_for_selector("[data-testid=stApp][data-test-script-state=notRunning]", timeout=timeout)


def screenshot(page, name: str) -> Path:
    """A screenshot of the whole page (the app scrolls inside its own container, so grow the viewport)."""
    height = page.evaluate("document.querySelector('[data-testid=stMain]')?.scrollHeight || 1000")
    page.set_viewport_size({"width": 1400, "height": min(max(int(height) + 40, 1000), 6000)})
    page.wait_for_timeout(700)
    path = SHOTS / f"{name}.png"
    page.screenshot(path=str(path), timeout=90_000)  # a loaded 2-core machine can take a while
    page.set_viewport_size({"width": 1400, "height": 1000})
    return path
