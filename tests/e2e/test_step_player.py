"""Browser: the Step through page's trace player. Play walks t1 → tT (one step a second) and stops at the
end; hovering a program line highlights the same step in the grids and the table's row-selector strip;
a hostile column name is shown as text."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

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
    # the current step is marked in every view at once: program line, both grids' step columns, the strip
    expect(player.locator("li.line.cur")).to_have_attribute("data-step", "2")
    expect(player.locator("rect.col-hit.cur")).to_have_count(2)
    expect(player.locator("th.strip.cur")).to_have_text("t2")
    expect(player).to_have_attribute("data-current", str(steps), timeout=1500 * steps)
    expect(play).to_have_text("▶ Play")  # it stopped at the end
    page.wait_for_timeout(1300)
    expect(player).to_have_attribute("data-current", str(steps))
    # pause: a second press stops it where it is (Play at the end starts again from t1)
    play.click()
    expect(player).to_have_attribute("data-current", "2", timeout=3000)
    play.click()
    expect(play).to_have_text("▶ Play")
    paused = player.get_attribute("data-current")
    page.wait_for_timeout(1500)
    expect(player).to_have_attribute("data-current", paused)
    screenshot(page, "step-player")


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
