"""A crafted link in a real browser: cells and column names that hold script, image, overlay and link
payloads are shown as text, and none of them runs or creates an element — in the page, the answer, the
tables or the plotly charts' SVG."""

from __future__ import annotations

import pandas as pd
import pytest
from playwright.sync_api import Page, expect

from explorer import escape, tables
from explorer.components.figures import tick_text
from tests.e2e.helpers import screenshot, wait_for_app
from tests.e2e.test_browser import ANSWER
from tests.ui.helpers import HTML_LINK_NAME, IFRAME, IMG, MD_LINK, OVERLAY, PRINT_MODEL

pytestmark = pytest.mark.e2e

MD_LINK_NAME = "[m](http://evil.example/n)"
IMG_NAME = "<img src=x onerror=alert(1)>"

# every element a payload would create, as one query over the page (and the SVG of the charts)
CREATED = """() => {
  const found = [];
  for (const e of document.querySelectorAll('iframe[srcdoc], #npx-overlay, [onerror], img[src="x"]'))
    found.push(e.outerHTML.slice(0, 120));
  for (const a of document.querySelectorAll('a'))
    for (const name of ['href', 'xlink:href'])
      if ((a.getAttribute(name) || '').includes('evil.example')) found.push(a.outerHTML.slice(0, 120));
  for (const e of document.querySelectorAll('[style]'))
    if (e.getAttribute('style').includes('99999')) found.push(e.outerHTML.slice(0, 120));
  return found;
}"""


def hostile_link() -> str:
    df = tables.normalize(pd.DataFrame({
        "A": [IFRAME, IMG, OVERLAY, MD_LINK],
        "B": [1.0, 2.0, 3.0, 4.0],
        HTML_LINK_NAME: ["x", "y", "z", "w"],
        MD_LINK_NAME: ["p", "q", "r", "s"],
        IMG_NAME: ["t", "u", "v", "o"],
    }, dtype=object))
    return f"?data={tables.to_url_param(df)}&q=print+A&ckpt={PRINT_MODEL}"


def _assert_nothing_ran(page: Page, dialogs: list, title: str | None = None) -> None:
    page.wait_for_timeout(1000)  # time for an injected iframe or image to load and run
    assert page.title() != "X" and (title is None or page.title() == title)
    assert page.evaluate("window.npxPwned") is None
    assert dialogs == []
    assert page.evaluate(CREATED) == []


def test_hostile_link_shows_the_payloads_as_text(page: Page, app_url):
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(f"{app_url}/{hostile_link()}")
    wait_for_app(page)
    title = page.title()
    expect(page.locator(ANSWER)).to_be_visible()
    shown = page.locator(ANSWER).inner_text().strip().replace(escape.WORD_JOINER, "")  # the invisible word joiner
    assert shown == ", ".join([IFRAME, IMG, OVERLAY, MD_LINK])
    _assert_nothing_ran(page, dialogs, title)

    # the column names are plotly tick labels, as text (shortened on the axis: figures.tick_text)
    ticks = page.locator("[data-testid=stPlotlyChart] .ytick text").all_text_contents()
    names = {tick_text(n) for n in (HTML_LINK_NAME, MD_LINK_NAME, IMG_NAME)}
    assert names <= set(ticks), [t for t in ticks if "evil" in t or "img" in t]

    # questions that carry payloads: the word check shows them as text
    for question in (f"print A {IMG_NAME}", f"print {HTML_LINK_NAME} {MD_LINK}"):
        box = page.get_by_role("textbox", name="Question")
        box.fill(question)
        box.press("Enter")
        wait_for_app(page)
        _assert_nothing_ran(page, dialogs, title)
    words = page.locator("[data-testid=stCaptionContainer]").filter(has_text="unknown to the model")
    expect(words).to_contain_text("evil.example/login")  # the unknown words, as text
    screenshot(page, "hostile-link")

    for path in ("step", "compare"):  # the same link opened on the other pages that draw the table
        page.goto(f"{app_url}/{path}{hostile_link()}")
        wait_for_app(page)
        expect(page.get_by_role("heading").first).to_be_visible()
        _assert_nothing_ran(page, dialogs)
