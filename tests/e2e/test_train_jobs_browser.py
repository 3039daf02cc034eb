"""Browser tests of the Train page's jobs (issue 19): a custom set uploaded after choosing its task is
fine-tuned, not trained afresh (item 7)."""

from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.helpers import wait_for_app

pytestmark = pytest.mark.e2e  # without Chromium the app_url fixture skips, or fails when CI is set

EXAMPLE = {"columns": ["A"], "rows": [[1], [2], [3]], "question": "count", "answer": {"scalar": 3}}


def _select(page: Page, label: str, option: str) -> None:
    page.get_by_test_id("stSelectbox").filter(has_text=label).first.click()
    page.get_by_role("option", name=option).click()
    wait_for_app(page)


def test_an_upload_after_choosing_the_custom_task_is_fine_tuned(page: Page, app_url, tmp_path):
    """Before: the upload changed the task's label, the choice went back to single-column, and Start trained a
    fresh model (fine_tuned_from: None)."""
    upload = tmp_path / "custom.jsonl"
    upload.write_text("\n".join(json.dumps(EXAMPLE) for _ in range(3)) + "\n")
    page.goto(f"{app_url}/train")
    wait_for_app(page)
    _select(page, "Task", "the custom set from Teach (fine-tune a checkpoint)")
    page.locator("input[type=file]").first.set_input_files(str(upload))
    expect(page.get_by_text("Added 3 example(s).")).to_be_visible(timeout=30_000)
    wait_for_app(page)
    expect(page.get_by_text("Fine-tune this checkpoint")).to_be_visible()  # drawn only for the custom task
    page.get_by_role("button", name="Start training").click()
    expect(page.get_by_text(re.compile(r"saved as checkpoint \*?\*?trained/.*-ft-"))).to_be_visible(timeout=120_000)
    expect(page.get_by_text("Taught examples answered right")).to_be_visible()
