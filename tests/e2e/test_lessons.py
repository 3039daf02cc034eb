"""Browser tests of the lessons: "Why gradient descent gets stuck" opens the Compare page with two checkpoints
side by side (programs aligned step by step, the parting step marked, heatmaps drawn); "Why the LSTM baselines
fail on larger numbers" opens the scale demo; no lesson button's label is cut."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from explorer.components.scale_demo import DEMO_OPEN
from explorer.components.two_trainings import ALIGNED_KEY, ANSWER_KEYS, PARTING_KEY, SIDES
from explorer.pages.about import LESSONS, button_label
from tests.e2e.helpers import screenshot, wait_for_app

pytestmark = pytest.mark.e2e  # without Chromium the app_url fixture skips, or fails when CI is set


def test_the_stuck_lesson_shows_both_programs(page: Page, app_url):
    page.goto(f"{app_url}/about")
    wait_for_app(page)
    page.get_by_role("button", name="Open in Compare").click()
    wait_for_app(page)
    expect(page.get_by_role("heading", name="Two trainings of the same model")).to_be_visible()
    aligned = page.locator(f".st-key-{ALIGNED_KEY} table")
    expect(aligned).to_have_count(1)
    expect(aligned.locator("tbody tr").first).to_contain_text("t1")
    expect(page.locator(f".st-key-{PARTING_KEY}")).to_contain_text(re.compile("They part at t|same program"))
    for side in SIDES:
        expect(page.locator(f".st-key-{ANSWER_KEYS[side]}")).to_be_visible()
    expect(page.locator("[data-testid=stPlotlyChart]")).to_have_count(6)
    assert "vs=paper2016-single-column" in page.url and "ckpt=single-column" in page.url
    screenshot(page, "compare-two-trainings")


def test_the_scale_lesson_opens_the_demo(page: Page, app_url):
    page.goto(f"{app_url}/about")
    wait_for_app(page)
    lesson = next(lesson for lesson in LESSONS if lesson.get("demo"))
    page.get_by_role("button", name=button_label(lesson)).click()
    wait_for_app(page)
    expect(page.get_by_role("heading", name="Compare", exact=True)).to_be_visible()
    # the test server has no baseline checkpoints: the opened demo says what it needs
    expect(page.get_by_text("The demo needs the baselines' checkpoints")).to_be_visible()
    assert DEMO_OPEN  # the key the lesson sets (AppTest checks its value: tests/ui/test_scale_demo.py)


def test_no_lesson_button_label_is_cut(page: Page, app_url):
    page.goto(f"{app_url}/about")
    wait_for_app(page)
    for i, lesson in enumerate(LESSONS):
        button = page.locator(f".st-key-lesson_{i} button")
        expect(button).to_contain_text(button_label(lesson))
        cut = button.evaluate(
            "b => [b, ...b.querySelectorAll('*')].some(e => e.scrollWidth > e.clientWidth + 1 && e.clientWidth > 0)")
        assert not cut, f"the label of lesson {i + 1}'s button is cut"
        box = button.bounding_box()
        assert box is not None and box["height"] < 60, (i, box)  # one line, not wrapped letter by letter
