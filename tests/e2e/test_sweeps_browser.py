"""Browser test of the Sweeps page: open a fixture sweep directory (written in the format engine/sweep/plan.py
writes) by typing its path, and see the counts, the summary table and the figures drawn."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.helpers import SHOTS, screenshot, wait_for_app
from tests.ui.test_sweeps_page import write_sweep

pytestmark = pytest.mark.e2e  # without Chromium the app_url fixture skips, or fails when CI is set


def test_sweeps_page_shows_a_sweep_directory(page: Page, app_url, tmp_path):
    path = write_sweep(tmp_path / "fixture-sweep")
    page.set_viewport_size({"width": 1400, "height": 900})
    page.goto(f"{app_url}/sweeps")
    wait_for_app(page)
    expect(page.get_by_role("heading", name="Sweeps")).to_be_visible()
    page.get_by_test_id("stSelectbox").first.click()
    page.get_by_role("option", name="Another directory (type its path)…").click()
    wait_for_app(page)
    box = page.get_by_role("textbox", name="Path of a sweep directory")
    box.fill(str(path))
    box.press("Enter")
    wait_for_app(page)
    expect(page.get_by_test_id("stMetric").filter(has_text="Runs reaching the target")).to_contain_text("1 / 3")
    expect(page.get_by_test_id("stMetric").filter(has_text="Runs finished")).to_contain_text("3 / 4")
    table = page.get_by_test_id("stDataFrame").first
    expect(table).to_be_visible()
    charts = page.locator("[data-testid=stPlotlyChart]")
    expect(charts).to_have_count(4)  # by epoch, the curves, accuracy by the grid field, its mean by value
    expect(charts.first.locator(".main-svg").first).to_be_visible()  # plotly has drawn it
    expect(charts.first).to_contain_text("by epoch")
    page.wait_for_timeout(700)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "sweeps.png"))  # the 1400 x 900 view, as a user first sees it
    screenshot(page, "sweeps-full")  # the whole page: the figures below the table
