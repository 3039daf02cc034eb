"""The launcher in a real browser: the e2e session's server (tests/e2e/conftest.py) is started as the README starts
it, `python -m explorer.serve`; it says it is warm before Streamlit serves, and what it serves is the app."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.helpers import SERVER_LOG, wait_for_app

pytestmark = pytest.mark.e2e  # without Chromium the app_url fixture skips, or fails when CI is set


def test_the_launcher_warms_the_app_then_serves_it(page: Page, app_url):
    log = SERVER_LOG.read_text(encoding="utf-8")
    warm, serving = log.find("Warm in "), log.find("You can now view your Streamlit app")
    assert 0 <= warm < serving, f"the warm-up did not end before Streamlit served:\n{log[:3000]}"
    page.goto(app_url)
    wait_for_app(page)
    expect(page.get_by_role("heading", name="Ask the Neural Programmer")).to_be_visible()
    expect(page.locator("[data-testid=stPlotlyChart] .main-svg").first).to_be_visible()  # the first heatmap
