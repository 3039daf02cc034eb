"""Browser: the Step through page's trace player. Play walks t1 → tT (one step a second, or slower for a
projector) and stops at the end, and the page's slider, step panel and address follow it; hovering a program
line highlights the same step in the grids and the table's row-selector strip; a hostile column name is shown
as text."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from explorer import state
from explorer.components.step_panels import EXPLAIN_KEY
from explorer.components.trace_player import SPEEDS
from tests.e2e.helpers import screenshot, wait_for_app
from tests.ui.helpers import IMG

pytestmark = pytest.mark.e2e

# the untrained single-column test model has T = 3 (tests/ui/helpers.make_letters_model); with the shipped
# checkpoints (NPX_E2E_CHECKPOINT_DIRS=checkpoints) it is the trained one, T = 4
STEP_URL = "/step?table=letters_3&q=greater+20+A+and+lesser+30+B+count&ckpt=single-column"


def _player(page: Page):
    return page.locator(".npx-player")


def test_play_advances_the_highlighted_step_and_stops_at_the_end(page: Page, app_url):
    page.goto(app_url + STEP_URL)
    wait_for_app(page)
    player = _player(page)
    expect(player).to_have_count(1)
    lines = player.locator("li.line")
    steps = lines.count()
    assert steps >= 2
    assert [line.split(". ")[0] for line in lines.all_inner_texts()] == [f"t{i}" for i in range(1, steps + 1)]
    expect(player).to_have_attribute("data-current", "1")
    play = player.locator("[data-role=play]")
    expect(play).to_have_text("▶ Play")
    play.click()
    expect(play).to_have_text("❚❚ Pause")
    expect(player).to_have_attribute("data-current", "2", timeout=3000)
    # pause: a second press stops it where it is, and the page's step is that one
    play.click()
    expect(play).to_have_text("▶ Play")
    wait_for_app(page)  # the rerun of the last step Play reached
    paused = player.get_attribute("data-current")
    page.wait_for_timeout(1500)
    expect(player).to_have_attribute("data-current", paused)
    _expect_the_page_at(page, int(paused), steps)
    # the current step is marked in every view at once: program line, both grids' step columns, the strip
    expect(player.locator("li.line.cur")).to_have_attribute("data-step", paused)
    expect(player.locator("rect.col-hit.cur")).to_have_count(2)
    expect(player.locator("th.strip.cur")).to_have_text(f"t{paused}")
    # Play again goes on from there and stops at the end; Play at the end starts again from t1
    play.click()
    expect(player).to_have_attribute("data-current", str(steps), timeout=2500 * steps)
    expect(play).to_have_text("▶ Play")
    page.wait_for_timeout(1300)
    expect(player).to_have_attribute("data-current", str(steps))
    play.click()
    expect(player).to_have_attribute("data-current", "1", timeout=3000)
    expect(play).to_have_text("❚❚ Pause")
    screenshot(page, "step-player")


def _expect_the_page_at(page: Page, t: int, steps: int) -> None:
    """The page's own step (not only the player's) is t: the slider, the step panel and the address."""
    expect(page.locator(f".st-key-{state.STEP_SLIDER} [data-testid=stSliderThumbValue]")).to_have_text(f"t{t}")
    expect(page.locator(f".st-key-{EXPLAIN_KEY}")).to_contain_text(f"Step t{t} of {steps}:")
    expect(page).to_have_url(re.compile(rf"[?&]step={t}(&|$)"))


def test_the_page_follows_play_to_the_last_step(page: Page, app_url):
    page.goto(app_url + STEP_URL)
    wait_for_app(page)
    player = _player(page)
    steps = player.locator("li.line").count()
    _expect_the_page_at(page, 1, steps)
    player.locator("[data-role=play]").click()
    expect(player).to_have_attribute("data-current", "2", timeout=3000)
    expect(page.locator(f".st-key-{EXPLAIN_KEY}")).to_contain_text(f"Step t2 of {steps}:")  # while it plays
    expect(player).to_have_attribute("data-current", str(steps), timeout=2500 * steps)
    wait_for_app(page)
    _expect_the_page_at(page, steps, steps)
    expect(player).to_have_attribute("data-current", str(steps))  # the rerun drew the player where Play stopped
    # Back stops nothing that is not playing, and the player follows the page
    page.get_by_role("button", name="◀ Back").click()
    wait_for_app(page)
    _expect_the_page_at(page, steps - 1, steps)
    expect(player).to_have_attribute("data-current", str(steps - 1))


def test_a_projector_speed_plays_slower_and_is_kept(page: Page, app_url):
    page.goto(app_url + STEP_URL)
    wait_for_app(page)
    player = _player(page)
    label, seconds = SPEEDS[-1]
    assert seconds >= 3, "the slowest speed is meant for a projector"
    player.locator("[data-role=speed]").select_option(label=label)
    player.locator("[data-role=play]").click()
    page.wait_for_timeout(int(seconds * 1000) - 800)  # a timer fires late on a busy machine, never early
    expect(player).to_have_attribute("data-current", "1")
    expect(player).to_have_attribute("data-current", "2", timeout=int(seconds * 1000) + 4000)
    wait_for_app(page)
    _expect_the_page_at(page, 2, player.locator("li.line").count())
    expect(player.locator("[data-role=speed]")).to_have_value(str(int(seconds * 1000)))  # through the rerun
    player.locator("[data-role=play]").click()  # pause
    page.reload()
    wait_for_app(page)
    expect(_player(page).locator("[data-role=speed]")).to_have_value(str(int(seconds * 1000)))  # and a reload


def test_hovering_a_program_line_highlights_that_step_everywhere(page: Page, app_url):
    page.goto(app_url + STEP_URL)
    wait_for_app(page)
    player = _player(page)
    player.locator("li.line[data-step='3']").hover()
    expect(player).to_have_attribute("data-shown", "3")
    expect(player.locator("rect.col-hit.hov")).to_have_count(2)
    for node in player.locator("rect.col-hit.hov").all():
        assert node.get_attribute("data-step") == "3"
    expect(player.locator("th.strip.hov")).to_have_text("t3")
    expect(player.locator("[data-role=caption]")).to_contain_text("t3.")
    # and the other way: hovering a grid column highlights its program line
    player.locator("rect.col-hit[data-step='2']").first.hover()
    expect(player.locator("li.line.hov")).to_have_attribute("data-step", "2")
    page.mouse.move(1, 1)
    expect(player.locator("li.line.hov")).to_have_count(0)
    # the keyboard reaches the same highlight: a program line takes focus
    player.locator("li.line[data-step='3']").focus()
    expect(player.locator("rect.col-hit.hov")).to_have_count(2)
    expect(player).to_have_attribute("data-shown", "3")
    player.locator("li.line[data-step='3']").blur()
    # clicking a step makes it the page's step (the explanation below follows)
    player.locator("li.line[data-step='2']").click()
    wait_for_app(page)
    expect(page.locator(".st-key-step_explain")).to_contain_text("Step t2 of")


def test_user_text_in_the_player_is_text(page: Page, app_url):
    """A column named like an <img onerror> payload shows as its characters and runs nothing."""
    from urllib.parse import quote

    import pandas as pd

    from explorer import tables
    from tests.ui.helpers import ROOT

    df = pd.read_csv(ROOT / "sample_tables" / "letters_3.csv")
    df.columns = ["A", IMG[:40], "C"]
    packed = tables.to_url_param(tables.normalize(df.astype(object)))
    page.goto(f"{app_url}/step?data={quote(packed)}&q=count&ckpt=single-column")
    wait_for_app(page)
    player = _player(page)
    expect(player.locator("th.col").nth(1)).to_have_attribute("title", IMG[:40])
    assert page.evaluate("window.npxPwned") is None
    expect(player.locator("img")).to_have_count(0)


LABELS = ".xtick text, .ytick text, .g-xtitle text, .g-ytitle text, .gtitle, .gtitle-subtitle"
CLIPPED = """([chart, labels]) => {
    const box = chart.querySelector('.main-svg').getBoundingClientRect();
    return Array.from(chart.querySelectorAll(labels)).filter((t) => {
        const r = t.getBoundingClientRect();
        return r.width > 0 && (r.left < box.left - 1 || r.right > box.right + 1 || r.top < box.top - 1
                               || r.bottom > box.bottom + 1);
    }).map((t) => t.textContent);
}"""


def test_no_axis_label_is_cut_in_the_step_charts(page: Page, app_url):
    """Long column names (40 characters) and rotated operation names stay inside every chart."""
    from urllib.parse import quote

    import pandas as pd

    from explorer import tables
    from tests.ui.helpers import ROOT

    df = pd.read_csv(ROOT / "sample_tables" / "letters_3.csv")
    df.columns = ["A", "a rather long column name of forty chars", "C"]
    packed = tables.to_url_param(tables.normalize(df.astype(object)))
    page.goto(f"{app_url}/step?data={quote(packed)}&q=count&ckpt=single-column&view=soft")
    wait_for_app(page)
    charts = page.locator("[data-testid=stPlotlyChart]")
    expect(charts).to_have_count(2)
    page.wait_for_timeout(800)
    for i in range(charts.count()):
        chart = charts.nth(i)
        chart.scroll_into_view_if_needed()
        assert chart.locator(".xtick text").count() > 0
        assert page.evaluate(CLIPPED, [chart.element_handle(), LABELS]) == [], f"chart {i}"
    screenshot(page, "step-charts-long-names")
