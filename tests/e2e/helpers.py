"""Helpers of the browser tests: wait for a Streamlit run to finish, take full-page screenshots."""

from __future__ import annotations

from pathlib import Path

from tests.ui.helpers import ROOT

OUT = ROOT / "test-output"
SHOTS = OUT / "screenshots"


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
    page.screenshot(path=str(path))
    page.set_viewport_size({"width": 1400, "height": 1000})
    return path
