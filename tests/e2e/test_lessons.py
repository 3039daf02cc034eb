"""Browser test of the lesson "Why gradient descent gets stuck": from the About page it opens the Compare
page with two checkpoints side by side, and both programs and their heatmaps are drawn."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from explorer.components.two_trainings import ANSWER_KEYS, PROGRAM_KEYS, SIDES
from tests.e2e.helpers import screenshot, wait_for_app

pytestmark = pytest.mark.e2e  # without Chromium the app_url fixture skips, or fails when CI is set


def test_the_stuck_lesson_shows_both_programs(page: Page, app_url):
    page.goto(f"{app_url}/about")
    wait_for_app(page)
    page.get_by_role("button", name="Open in Compare").click()
    wait_for_app(page)
    expect(page.get_by_role("heading", name="Two trainings of the same model")).to_be_visible()
    for side in SIDES:
        program = page.locator(f".st-key-{PROGRAM_KEYS[side]} [data-testid=stCode]")
        expect(program).to_have_count(1)
        expect(program).to_contain_text("1. ")
        expect(page.locator(f".st-key-{ANSWER_KEYS[side]}")).to_be_visible()
    expect(page.locator("[data-testid=stPlotlyChart]")).to_have_count(6)
    assert "vs=paper2016-single-column" in page.url and "ckpt=single-column" in page.url
    screenshot(page, "compare-two-trainings")
