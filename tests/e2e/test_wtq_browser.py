"""Browser: plain English on the Ask page answered by the real-tables model (2017, the shipped checkpoint, which
the server finds at its default path): the answer the engine gives, the line that says which model answered,
the program in words and the operation heatmap over the 15 operations on the first screen; the step slider
moves the table's highlight; the Step through page plays the 2017 program."""

from __future__ import annotations

import re
from urllib.parse import quote

import pytest
from playwright.sync_api import Page, expect

from engine.wtq2017.config import OPS
from explorer import escape, tables
from explorer.components.trace_view import ANSWER_KEY, PROGRAM_KEY, answer_text
from tests.e2e.helpers import SHOTS, screenshot, wait_for_app
from tests.e2e.test_browser import _within
from tests.ui.wtq_helpers import PLAIN, SHIPPED_WTQ, engine_trace

pytestmark = pytest.mark.e2e
ANSWER, PROGRAM = f".st-key-{ANSWER_KEY}", f".st-key-{PROGRAM_KEY}"


def _text(page: Page, selector: str) -> str:
    return page.locator(selector).first.inner_text().strip().replace(escape.WORD_JOINER, "")


def test_plain_english_gets_the_real_tables_answer_program_and_heatmap(page: Page, app_url):
    assert SHIPPED_WTQ.is_file()
    want = engine_trace(tables.load_sample("shop_sales"), PLAIN)
    page.set_viewport_size({"width": 1400, "height": 900})
    page.goto(f"{app_url}/?table=shop_sales")
    wait_for_app(page)
    box = page.get_by_role("textbox", name="Question")
    box.fill(PLAIN)
    box.press("Enter")
    wait_for_app(page)
    expect(page.get_by_text("Answered by the real-tables model")).to_be_visible()
    expect(page.locator(PROGRAM)).to_contain_text(want["program_text"][-1])  # drawn (the code block is lazy)
    assert _text(page, ANSWER) == answer_text(want["answer"], "hard", "wtq2017")
    assert _text(page, PROGRAM).splitlines() == want["program_text"]
    chart = page.locator("[data-testid=stPlotlyChart]").filter(has_text="Operation × step")
    expect(chart.locator(".ytick text")).to_have_count(len(want["ops"]))  # every operation of the model's language
    assert set(chart.locator(".ytick text").all_text_contents()) == set(want["ops"]) >= set(OPS)
    for what, locator in (("the question box", box), ("the answer", page.locator(ANSWER)),
                          ("the program", page.locator(PROGRAM)), ("the operation heatmap", chart)):
        page.evaluate("document.querySelector('[data-testid=stMain]').scrollTop = 0")
        _within(page, locator, what)
    page.screenshot(path=str(SHOTS / "ask-real-tables-first-screen.png"))  # the viewport: the first screen

    # the step slider: one step to the right highlights t1 in the table, with the engine's sentence
    slider = page.get_by_role("slider").first  # the only slider on the page: "Step shown in the table"
    slider.focus()
    slider.press("ArrowRight")
    wait_for_app(page)
    expect(page.get_by_text(re.compile(r"^Step t1:"))).to_be_visible()
    expect(page.get_by_text(want["steps"][0]["sentence"], exact=False).first).to_be_visible()
    slider.press("ArrowRight")
    wait_for_app(page)
    expect(page.get_by_text(re.compile(r"^Step t2:"))).to_be_visible()


def test_step_through_plays_a_real_tables_program(page: Page, app_url):
    want = engine_trace(tables.load_sample("shop_sales"), PLAIN)
    page.goto(f"{app_url}/step?table=shop_sales&q={quote(PLAIN)}")
    wait_for_app(page)
    expect(page.get_by_text("Answered by the real-tables model")).to_be_visible()
    player = page.locator(".npx-player")
    expect(player).to_have_count(1)
    assert player.locator("li.line").all_inner_texts() == want["program_text"]
    labels = player.locator("svg").first.evaluate(  # each label's own text, without its <title> tooltip
        "svg => Array.from(svg.querySelectorAll('text')).map(n => n.firstChild.textContent)")
    assert set(want["ops"]) <= set(labels)
    expect(player.locator("svg").first.locator("rect.cell")).to_have_count(len(want["ops"]) * len(want["steps"]))
    expect(player).to_have_attribute("data-current", "1")
    player.locator("[data-role=play]").click()
    expect(player).to_have_attribute("data-current", "2", timeout=3000)
    expect(player).to_have_attribute("data-current", str(len(want["steps"])), timeout=1500 * len(want["steps"]))
    T = len(want["steps"])
    expect(page.get_by_text(f"Step t{T} of {T}:")).to_be_visible()  # the page followed Play to its end
    page.get_by_role("button", name="◀ Back").click()
    wait_for_app(page)
    expect(page.get_by_text(f"Step t{T - 1} of {T}:")).to_be_visible()
    screenshot(page, "step-real-tables")


def test_the_real_tables_answer_says_how_far_to_trust_it_and_what_else_it_considered(page: Page, app_url):
    from engine.wtq2017 import calibration
    from explorer.real_tables import APP_BEAM

    want = engine_trace(tables.load_sample("shop_sales"), PLAIN)
    found = calibration.confidence(calibration.read_calibration(calibration.path_for(SHIPPED_WTQ)),
                                   want["extra"]["probability"])
    page.set_viewport_size({"width": 1400, "height": 900})
    page.goto(f"{app_url}/?table=shop_sales&q={quote(PLAIN)}")
    wait_for_app(page)
    expect(page.get_by_text(f"were right {found['right_share']:.0%} of the time on dev")).to_be_visible()
    chosen = want["extra"]["chosen"]
    summary = page.get_by_text(f"Programs considered: {APP_BEAM}, the chosen one is #{chosen + 1}")
    expect(summary).to_be_visible()
    summary.click()
    wait_for_app(page)
    grid = page.locator("[data-testid=stDataFrame]").filter(has_text="why")
    expect(grid).to_be_visible()
    screenshot(page, "ask-real-tables-candidates")
