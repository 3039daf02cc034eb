"""Browser at 1400x900 (issue 22, item 8): the Step page's View control shows both its labels whole. Before, its
second option read "soft (training time" and the rest scrolled out of its 3/10 of the row."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from explorer import state
from explorer.components.trace_view import VIEW_LABELS
from tests.e2e.helpers import expect_no_app_error, wait_for_app

pytestmark = pytest.mark.e2e

STEP_URL = "/step?table=letters_3&q=greater+20+A+and+lesser+30+B+count&ckpt=single-column"


def test_the_step_pages_view_control_is_not_cut(page: Page, app_url):
    page.set_viewport_size({"width": 1400, "height": 900})
    page.goto(app_url + STEP_URL)
    wait_for_app(page)
    control = page.locator(f".st-key-{state.STEP_VIEW} [role=radiogroup]")
    assert control.count() == 1
    assert control.locator("p").all_inner_texts() == list(VIEW_LABELS.values())
    widths = control.evaluate("el => [el.scrollWidth, el.clientWidth, "
                              "...[...el.querySelectorAll('p')].map(p => p.scrollWidth - p.clientWidth)]")
    assert widths[0] <= widths[1], f"the control scrolls: {widths[0]} px of content in {widths[1]} px"
    assert all(extra <= 0 for extra in widths[2:]), f"a label is cut: {widths[2:]}"
    expect_no_app_error(page)
