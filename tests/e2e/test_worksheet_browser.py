"""The Worksheet page in a real browser: a three-question worksheet opened from its link and walked to the summary
(each question answered with its program and heatmaps and marked against the teacher's answer, one of them by the
real-tables model), and the teacher's link, built from the browser's own address, opening the same worksheet."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from engine.np2016.program import fmt
from explorer import tables
from explorer import worksheet as ws
from explorer.components import worksheet_teacher, worksheet_view
from tests.e2e.helpers import screenshot, wait_for_app
from tests.e2e.test_browser import ANSWER
from tests.ui.helpers import IMG
from tests.ui.wtq_helpers import PLAIN

pytestmark = pytest.mark.e2e

SUM_SALES = fmt(tables.load_sample("shop_sales")["sales"].sum())  # the test checkpoint sums the named column
SHEET = ws.from_dict({"schema": ws.SCHEMA, "title": f"Shop sales {IMG}", "table": {"sample": "shop_sales"},
                      "questions": [{"question": "sum sales", "expected": SUM_SALES},
                                    {"question": "sum profit", "expected": "1"},
                                    {"question": PLAIN}]})  # plain English: the real-tables model answers
NAV = f".st-key-{worksheet_view.NAV_KEY}"


def _next(page: Page, label: str = "Next question") -> None:
    page.locator(NAV).get_by_role("button", name=label).click()
    wait_for_app(page)


def _answered(page: Page, n: int) -> None:
    expect(page.get_by_text(f"Question {n} of 3")).to_be_visible()
    expect(page.locator(ANSWER)).to_have_count(1)
    expect(page.locator(".st-key-np_program")).to_be_visible()
    expect(page.locator("[data-testid=stPlotlyChart]")).to_have_count(2)  # operations and columns


def test_a_three_question_worksheet_from_its_link_to_the_summary(page: Page, app_url):
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(f"{app_url}/worksheet?{ws.LINK_PARAM}={ws.to_link_param(SHEET)}")
    wait_for_app(page)
    expect(page.get_by_role("heading", name=f"Shop sales {IMG}")).to_be_visible()  # the title, as text
    _answered(page, 1)
    expect(page.locator(ANSWER)).to_have_text(SUM_SALES)
    expect(page.get_by_text(f"Right: the worksheet's answer is {SUM_SALES}.")).to_be_visible()
    screenshot(page, "worksheet-question")
    _next(page)
    _answered(page, 2)
    expect(page.get_by_text("Wrong: the worksheet's answer is 1.")).to_be_visible()
    _next(page)
    _answered(page, 3)
    expect(page.get_by_text("Answered by the real-tables model")).to_be_visible()
    expect(page.get_by_text("The worksheet gives no answer to this question")).to_be_visible()
    _next(page, "See the summary")
    summary = page.locator(f".st-key-{worksheet_view.SUMMARY_KEY}")
    expect(summary.get_by_text("The model answered 1 of 2 marked questions right (1 not marked).")).to_be_visible()
    expect(summary.locator("[data-testid=stDataFrame]")).to_be_visible()
    assert dialogs == [] and page.evaluate("document.querySelectorAll('img[src=\"x\"]').length") == 0
    screenshot(page, "worksheet-summary")


def test_the_teachers_link_opens_the_worksheet(page: Page, app_url):
    page.goto(f"{app_url}/worksheet?{ws.LINK_PARAM}={ws.to_link_param(SHEET)}")
    wait_for_app(page)
    page.get_by_text("Teacher: make one").click()
    wait_for_app(page)
    page.get_by_role("button", name="Edit the open worksheet").click()
    wait_for_app(page)
    link = page.locator(f".st-key-{worksheet_teacher.LINK_KEY} code").inner_text().strip()
    assert link.startswith(f"{app_url}/worksheet?{ws.LINK_PARAM}=")  # the browser's address, then the worksheet
    assert ws.from_link_param(link.split("=", 1)[1]) == SHEET
    page.goto(link)
    wait_for_app(page)
    _answered(page, 1)
