"""A hostile custom-set question in a real browser, while a fine-tuning on it trains (issue 19, item 5).

The question carries a backtick, a markdown image and a markdown link. The progress panel drew it inside a
markdown code span, where its backtick ended the span: the image loaded from its server, the link and red text
appeared. Uploaded as JSONL on the Train page, it must show as text in the progress panel's probe heading, and
nothing the payload describes may reach the page or the network."""

from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import Page, expect

from explorer import escape
from tests.e2e.helpers import screenshot, wait_for_app

pytestmark = pytest.mark.e2e

# one backtick: the old code span ended at it, and the rest of the line was markdown up to a lone backtick
QUESTION = "sum sales ` ![t](http://evil.example/p.png) [Log in again](http://evil.example/login) :red[alarm]"
EXAMPLE = {"columns": ["sales", "profit"], "rows": [[1, 2], [3, 4], [5, 6]], "question": QUESTION,
           "answer": {"scalar": 9}}
CUSTOM_TASK = re.compile(r"custom set from Teach")  # the Task option of the custom set

# what the payload would create: an image from another origin, a link to evil.example, red (coloured) text
CREATED = """() => {
  const found = [];
  for (const img of document.querySelectorAll('img')) {
    const src = img.getAttribute('src') || '';
    if (/^(https?:)?\\/\\//i.test(src) && new URL(src, location.href).origin !== location.origin)
      found.push(img.outerHTML.slice(0, 160));
  }
  for (const a of document.querySelectorAll('a'))
    for (const name of ['href', 'xlink:href'])
      if ((a.getAttribute(name) || '').includes('evil.example')) found.push(a.outerHTML.slice(0, 160));
  for (const e of document.querySelectorAll('.stMarkdownColoredText, .stMarkdownColoredBackground'))
    found.push(e.outerHTML.slice(0, 160));
  return found;
}"""


def _custom_set_panel(page: Page):
    """The panel the Train page draws only while its task is the custom set (the server's choice, whatever
    the Task box shows)."""
    return page.get_by_test_id("stExpander").filter(has_text=re.compile(r"The custom set \(\d+ examples\)"))


def _choose_custom_task(page: Page) -> None:
    page.get_by_role("combobox", name="Task").first.click()  # (the sweep launcher below has a Task too)
    page.get_by_role("option", name=CUSTOM_TASK).click()
    wait_for_app(page)
    expect(_custom_set_panel(page)).to_have_count(1)


def _upload_custom_set(page: Page) -> None:
    """The example as a JSONL file, through the custom-set panel's uploader (open while the set is empty)."""
    uploader = page.get_by_test_id("stFileUploader").filter(has_text="Add examples from a JSONL file")
    uploader.locator("input[type=file]").set_input_files(
        files=[{"name": "hostile.jsonl", "mimeType": "application/json",
                "buffer": (json.dumps(EXAMPLE) + "\n").encode()}])
    wait_for_app(page)
    expect(page.get_by_text("Added 1 example(s).")).to_be_visible(timeout=30_000)


def _set_number(page: Page, label: str, value: str, panel: str | None = None) -> None:
    field = page.get_by_role("spinbutton", name=label, exact=True)
    if panel and not field.is_visible():
        page.get_by_text(panel).click()  # open the expander that holds the field
    field.fill(value)
    field.press("Enter")
    wait_for_app(page)


def _long_run(page: Page) -> None:
    """A run long enough to be watched while it trains, with few fresh test questions (scored before it starts).
    After the task is chosen: choosing a task sets every setting to the preset's."""
    _set_number(page, "Training steps", "100000")
    _set_number(page, "Test examples", "20", panel="Data sizes")


def _assert_nothing_created(page: Page, requests: list[str]) -> None:
    page.wait_for_timeout(1000)  # time for an injected image to load
    assert page.evaluate(CREATED) == []
    assert [u for u in requests if "evil.example" in u] == []


def test_a_hostile_custom_question_shows_as_text_while_it_trains(page: Page, app_url):
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.goto(f"{app_url}/train")
    wait_for_app(page)
    _choose_custom_task(page)
    _upload_custom_set(page)
    _long_run(page)
    expect(_custom_set_panel(page)).to_contain_text("The custom set (1 examples)")  # the upload kept the task
    page.get_by_role("button", name="Start training").click()

    heading = page.get_by_test_id("stMarkdownContainer").filter(has_text="Probe question").first
    expect(heading).to_be_visible(timeout=90_000)  # after the first training steps
    expect(page.get_by_role("button", name="Start training")).to_be_disabled()  # still training
    _assert_nothing_created(page, requests)
    shown = heading.inner_text().replace(escape.WORD_JOINER, "")  # the invisible word joiners of escape.md
    assert QUESTION in shown, shown
    screenshot(page, "hostile-training")

    page.get_by_role("button", name="Stop", exact=True).click()
    expect(page.get_by_role("button", name="Start training")).to_be_enabled(timeout=60_000)
    _assert_nothing_created(page, requests)
