"""Browser: lesson 8, "Plain English on real tables", asks the shipped 2017 checkpoint a real question on a
WikiTableQuestions table and shows its answer and its program in words beside the paper's (the program
expected is the engine's own trace of the same question, computed here)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from explorer import lesson_real_tables, tables
from explorer.real_table_samples import LESSON_QUESTIONS
from tests.e2e.helpers import screenshot, wait_for_app
from tests.ui.wtq_helpers import engine_trace

pytestmark = pytest.mark.e2e


def test_the_lesson_asks_a_real_question_and_shows_the_program(page: Page, app_url):
    page.goto(f"{app_url}/about")
    wait_for_app(page)
    lesson_box = page.locator(".st-key-lesson_real_tables")
    expect(lesson_box).to_contain_text(lesson_real_tables.TITLE)
    expect(lesson_box).to_contain_text("34.2%")
    lesson_box.get_by_role("button", name="Ask the 2017 model").click()
    wait_for_app(page)
    answer = page.locator(f".st-key-{lesson_real_tables.ANSWER_BOX}")
    expect(answer).to_be_visible()
    expect(answer).to_contain_text("Our model's program")
    expect(answer).to_contain_text("The paper's program")
    lesson = LESSON_QUESTIONS[0]  # the question the lesson starts with
    want = engine_trace(tables.load_sample(lesson.sample), lesson.question)
    items = answer.locator("li")
    expect(items).to_have_count(len(want["steps"]) + len(lesson.paper_program))
    for t, step in enumerate(want["steps"]):
        expect(items.nth(t)).to_contain_text(step["sentence"])
    expect(answer).to_contain_text(", ".join(want["extra"]["denotation"]) or "(none)")
    screenshot(page, "lesson-plain-english")
