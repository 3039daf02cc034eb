"""End-to-end tests in headless Chromium against `streamlit run`: the Ask page (edit a cell, ask, see the
answer and heatmaps, click a heatmap, see the table highlight), a short training run, and a screenshot
of every page under test-output/screenshots/ (NPX_UPDATE_DOCS=1 also copies the Ask page's one to
docs/screenshot_ask.png)."""

from __future__ import annotations

import os
import re
import shutil
import time

import pytest
from playwright.sync_api import Page, expect

from explorer.components.trace_view import ANSWER_KEY
from tests.e2e.helpers import OUT, screenshot, wait_for_app
from tests.ui.helpers import ROOT

pytestmark = pytest.mark.e2e  # without Chromium the app_url fixture skips, or fails when CI is set
ANSWER = f".st-key-{ANSWER_KEY}"
TABLE_PANEL = "Change the table or the model"  # the expander that holds the table editor and the model choice


def _answer(page: Page) -> str:
    return page.locator(ANSWER).first.inner_text().strip()


def _ask(page: Page, question: str) -> float:
    """Type a question, press Enter, wait for the answer; returns the seconds it took."""
    box = page.get_by_role("textbox", name="Question")
    box.fill(question)
    start = time.perf_counter()
    box.press("Enter")
    wait_for_app(page)
    expect(page.locator("[data-testid=stPlotlyChart]").first).to_be_visible()
    return time.perf_counter() - start


def test_ask_page_loads_with_answer_and_heatmaps(page: Page, app_url):
    page.goto(app_url)
    wait_for_app(page)
    expect(page.get_by_role("heading", name="Ask the Neural Programmer")).to_be_visible()
    expect(page.locator(ANSWER)).to_have_count(1)
    expect(page.locator("[data-testid=stPlotlyChart]")).to_have_count(2)  # operations and columns
    page.get_by_text("More heatmaps").click()  # rows, question words and pivot join them
    expect(page.locator("[data-testid=stPlotlyChart]")).to_have_count(5)
    screenshot(page, "ask")


def test_edit_a_cell_and_ask(page: Page, app_url):
    page.goto(app_url)
    wait_for_app(page)
    seconds = _ask(page, "sum sales")
    assert _answer(page) == "1936.8"
    (OUT / "timings.txt").open("a").write(f"ask → heatmaps drawn (browser, incl. network): {seconds:.2f} s\n")
    # open the table panel, then edit the first sales cell (row 0, second of 5 equal columns after the
    # narrow row-number column) in the canvas grid: select it, open its editor, type
    page.get_by_text(TABLE_PANEL).click()
    grid = page.locator("[data-testid=stExpander] [data-testid=stDataFrame]").first
    expect(grid).to_be_visible()
    page.wait_for_timeout(500)  # the panel's opening animation: the grid's box settles
    box = grid.bounding_box()
    column = (box["width"] - 32) / 5
    page.mouse.click(box["x"] + 32 + 1.5 * column, box["y"] + 35 + 17)
    page.keyboard.press("Enter")  # open the cell editor
    page.wait_for_timeout(400)
    page.keyboard.press("Control+a")
    page.keyboard.type("1120.5", delay=30)
    page.keyboard.press("Enter")
    wait_for_app(page)
    expect(page.locator(ANSWER)).to_have_text(
        re.compile(r"^\s*2936\.8\s*$"), timeout=20_000
    )
    expect(page.get_by_text("(edited)").first).to_be_visible()  # in the summary line (and the open panel)
    assert "data=" in page.url and "q=sum+sales" in page.url  # the edited table and question are in the link


def _within(page: Page, locator, name: str) -> None:
    """The element is drawn entirely inside the viewport as it is, without scrolling."""
    box = locator.bounding_box()
    view = page.viewport_size
    assert box is not None, f"{name} is not drawn"
    assert box["y"] >= 0 and box["y"] + box["height"] <= view["height"], f"{name} is off screen: {box}"
    assert box["x"] >= 0 and box["x"] + box["width"] <= view["width"], f"{name} is off screen: {box}"


def test_first_screen_holds_question_answer_program_and_heatmap(page: Page, app_url):
    """At 1400×900 with the sidebar open, the question box, the answer, the program and the first heatmap
    are on the first screen, as a class sees it (nothing scrolled)."""
    page.set_viewport_size({"width": 1400, "height": 900})
    page.goto(f"{app_url}/?table=shop_sales&q=greater+2015+year+sum+sales")
    wait_for_app(page)
    expect(page.get_by_test_id("stSidebar")).to_be_visible()
    assert page.evaluate("document.querySelector('[data-testid=stMain]').scrollTop") == 0
    chart = page.locator("[data-testid=stPlotlyChart]").first
    expect(chart.locator(".main-svg").first).to_be_visible()
    _within(page, page.get_by_role("textbox", name="Question"), "the question box")
    _within(page, page.locator(ANSWER), "the answer")
    _within(page, page.get_by_test_id("stCode").first, "the program")
    _within(page, chart, "the first heatmap (operation × step)")
    screenshot_first = OUT / "screenshots" / "ask-first-screen.png"
    page.screenshot(path=str(screenshot_first))  # the viewport only: what the class sees first


def test_a_guess_offers_the_closest_question_in_one_click(page: Page, app_url):
    # the synthetic checkpoint picked by name: on "best match" plain English goes to the real-tables model
    # (tests/e2e/test_wtq_browser.py)
    page.goto(f"{app_url}/?table=shop_sales&ckpt=names-5")
    wait_for_app(page)
    box = page.get_by_role("textbox", name="Question")
    box.fill("what is the total of sales please")
    wait_for_app(page)  # answered as typed: no Enter
    page.wait_for_timeout(600)
    wait_for_app(page)
    expect(page.get_by_text("A guess, not an answer")).to_be_visible()
    page.get_by_role("button", name=re.compile("Ask instead: sum sales")).click()
    wait_for_app(page)
    expect(box).to_have_value("sum sales")
    expect(page.locator(ANSWER)).to_have_text(re.compile(r"^\s*1936\.8\s*$"))
    expect(page.get_by_text("A guess, not an answer")).to_have_count(0)


def test_click_a_heatmap_cell_highlights_the_table(page: Page, app_url):
    page.goto(f"{app_url}/?table=shop_sales&q=sum+profit")
    wait_for_app(page)
    expect(page.get_by_text("The answer:")).to_be_visible()
    chart = page.locator("[data-testid=stPlotlyChart]").first
    chart.scroll_into_view_if_needed()
    drag = chart.locator(".nsewdrag").first.bounding_box()
    n_ops = 9  # sum is the top row of the operation heatmap; the model has one step
    x, y = drag["x"] + drag["width"] / 2, drag["y"] + drag["height"] / n_ops / 2
    for _ in range(3):  # plotly clicks are occasionally lost in headless browsers
        page.mouse.move(x, y)
        page.mouse.down()
        page.mouse.up()
        wait_for_app(page)
        if page.get_by_text("Step 1:").count():
            break
        page.wait_for_timeout(1000)
    expect(page.get_by_text("Step 1: sum of profit")).to_be_visible()
    screenshot(page, "ask-heatmap-click")


def test_start_and_stop_a_short_training_run(page: Page, app_url):
    page.goto(f"{app_url}/train")
    wait_for_app(page)
    page.get_by_text("Data sizes").click()
    for label, value in (("Training examples", "200"), ("Validation examples", "20"), ("Test examples", "20"),
                         ("Validate every", "20")):
        field = page.get_by_role("spinbutton", name=label)
        field.fill(value)
        field.press("Enter")
        wait_for_app(page)
    page.get_by_role("button", name="Start training").click()
    # a step taken (a run stopped before its first step has nothing to save)
    expect(page.get_by_text(re.compile(r"step [1-9]\d* of 1000"))).to_be_visible(timeout=60_000)
    expect(page.get_by_role("button", name="Start training")).to_be_disabled()
    screenshot(page, "train-running")
    page.get_by_role("button", name="Stop", exact=True).click()
    expect(page.get_by_text("saved as checkpoint")).to_be_visible(timeout=60_000)
    expect(page.get_by_role("button", name="Start training")).to_be_enabled()
    screenshot(page, "train-done")


@pytest.mark.parametrize(
    "path, heading",
    [
        ("step", "Step through the program"),
        ("programs", "Induced programs"),
        ("compare", "Neural Programmer vs. LSTM baselines"),
        ("about", "About the Neural Programmer"),
    ],
)
def test_every_page_screenshot(page: Page, app_url, path, heading):
    page.goto(f"{app_url}/{path}")
    wait_for_app(page)
    expect(page.get_by_role("heading", name=heading)).to_be_visible()
    screenshot(page, path)  # the no_errors fixture checks the page and the server log afterwards


def test_docs_screenshot(page: Page, app_url):
    """The README's picture of the Ask page (copied to docs/ only when NPX_UPDATE_DOCS=1)."""
    page.goto(f"{app_url}/?table=shop_sales&q=greater+2015+year+sum+sales")
    wait_for_app(page)
    expect(page.locator(ANSWER)).to_be_visible()
    assert re.fullmatch(r"-?[0-9][0-9.,]*", _answer(page)), _answer(page)  # a number
    charts = page.locator("[data-testid=stPlotlyChart]")
    expect(charts).to_have_count(2)  # the first screen: operations and columns
    for i in range(2):
        expect(charts.nth(i).locator(".main-svg").first).to_be_visible()
    page.wait_for_timeout(500)
    shot = screenshot(page, "ask-docs")
    assert shot.exists() and shot.stat().st_size > 20_000  # a drawn page, not a blank one
    if os.environ.get("NPX_UPDATE_DOCS") == "1":
        shutil.copy(shot, ROOT / "docs" / "screenshot_ask.png")
