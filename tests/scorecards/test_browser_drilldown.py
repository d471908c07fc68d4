"""Browser acceptance of the pages fit to publish (issue 13): a manager drills
district → street → work grid → unit grid → the cases behind a figure and
back up by the breadcrumb, clicking links only; no page shows an internal
identifier (the code's own role, state, action, count, indicator, tier,
table and column names, or "#<digits>"), and a rate's explanation opens
with the month's numbers, in Chinese and in English.

Runs on the history city of test_browser_scorecards (its own server)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from gridcity.extensions import db
from tests.scorecards.test_browser_scorecards import history_city, manager_page, server  # noqa: F401
from tests.web.test_browser import ARTIFACTS, browser  # noqa: F401

pytestmark = pytest.mark.browser

# Everything a reader sees: the text, the tooltips (title, aria-label, the
# charts' titles) and the explanations' popovers, open or not.
VISIBLE_TEXT = """() => {
  const texts = [document.title, document.body.innerText];
  document.querySelectorAll("[title]").forEach(e => texts.push(e.getAttribute("title")));
  document.querySelectorAll("[aria-label]").forEach(e => texts.push(e.getAttribute("aria-label")));
  document.querySelectorAll("svg title, .explain-pop").forEach(e => texts.push(e.textContent));
  return texts.join("\\n");
}"""


def internal_identifiers() -> set[str]:
    """The code's own names a reader must never meet, read from the code."""
    from gridcity.cases import states
    from gridcity.org.models import Role
    from gridcity.scorecards.counting.counts import COUNT_NAMES, TIERS
    from gridcity.scorecards.scoring.indicators import DEFAULT_DOCUMENT
    from gridcity.web.ui_text import UI_TEXT

    names = {r.value for r in Role} | {"system"}
    names |= set(states.STATES) | set(states.TRANSITIONS) | set(states.SOURCES)
    names |= {
        key.removeprefix("d_action_") for key in UI_TEXT if key.startswith("d_action_")
    }  # swept marks too
    names |= set(COUNT_NAMES) | set(TIERS)
    names |= {i["code"] for items in DEFAULT_DOCUMENT["tiers"].values() for i in items}
    names |= {i["formula"] for items in DEFAULT_DOCUMENT["tiers"].values() for i in items}
    names |= set(db.metadata.tables)
    names |= {c.name for t in db.metadata.tables.values() for c in t.columns if len(c.name) >= 4}
    return names


def leaks(text: str, names: set[str]) -> list[str]:
    found = re.findall(r"#\d+", text)
    for name in names:
        if re.search(rf"(?<![A-Za-z0-9_]){re.escape(name)}(?![A-Za-z0-9_])", text):
            found.append(name)
    return sorted(found)


def test_manager_drills_down_and_back_and_sees_no_internal_identifier(manager_page, history_city):  # noqa: F811
    page, problems = manager_page
    month = history_city["month"]
    with history_city["app"].app_context():
        names = internal_identifiers()
        from gridcity.scorecards.snapshots import services as sc

        work_grids = {r.subject_id: r for r in sc.month_scorecard(month, "work_grid").rows}
        district = sc.month_scorecard(month, "district").rows[0]
        street = sc.month_scorecard(month, "street").rows[0]
        db.session.remove()
    assert len(names) > 100 and {"shift_leader", "closed_on_time", "should_close", "in_progress"} <= names
    # In English many of them are plain words ("closed", "report"): there the
    # check is on the code's compound names (snake_case) and "#<digits>".
    english_names = {n for n in names if "_" in n or " " in n}
    visited: list[str] = []

    def check(expect_url: str, names=names) -> str:
        page.wait_for_url(expect_url)
        text = page.evaluate(VISIBLE_TEXT)
        assert leaks(text, names) == [], page.url
        visited.append(page.url)
        return text

    def crumb(label: str):
        page.locator("nav.breadcrumb a", has_text=label).first.click()

    check(f"**/scorecards/{month}/street")
    # District → its streets.
    page.locator(f"nav.tier-tabs a[href='/scorecards/{month}/district']").click()
    check(f"**/scorecards/{month}/district")
    page.locator(f"tr[data-subject-id='{district.subject_id}'] a[data-testid=drill]").click()
    text = check(f"**/scorecards/{month}/street?within=district:{district.subject_id}")
    assert district.subject_name in page.locator("h1").inner_text()
    # → a street's work grids: the title names the street, the crumbs climb to the district.
    page.locator(f"tr[data-subject-id='{street.subject_id}'] a[data-testid=drill]").click()
    check(f"**/scorecards/{month}/work_grid?within=street:{street.subject_id}")
    assert street.subject_name in page.locator("h1").inner_text()
    assert street.subject_name in page.title()
    crumbs = page.locator("nav.breadcrumb").inner_text()
    assert district.subject_name in crumbs and street.subject_name in crumbs
    ranks = page.locator("table[data-testid=scorecard] td[data-field=rank]").all_inner_texts()
    assert ranks[0] == "1"  # among this street's work grids

    # A rate explains itself: hover shows it, a click (or tap) opens it, with the month's numbers.
    first = page.locator("table[data-testid=scorecard] tbody tr[data-subject-id]").first
    grid = work_grids[int(first.get_attribute("data-subject-id"))]
    done, due = grid.counts["closed_on_time"], grid.counts["should_close"]
    expected = f"按期结案率 = {done} / {due} = {done / due * 100:.1f} %"
    summary = first.locator("td[data-indicator=on_time_closure_rate] summary")
    assert expected in summary.get_attribute("title")
    popover = first.locator("td[data-indicator=on_time_closure_rate] .explain-pop")
    assert not popover.is_visible()
    summary.click()
    assert popover.is_visible() and expected in popover.inner_text()
    assert "期限" in popover.inner_text()  # and the rule it follows
    box = popover.bounding_box()  # readable whole, not cut off by the scrolling table
    assert (
        box["x"] >= 0
        and box["y"] >= 0
        and box["x"] + box["width"] <= 1400
        and box["y"] + box["height"] <= 900
    )
    for x, y in ((box["x"] + 4, box["y"] + 4), (box["x"] + box["width"] - 4, box["y"] + box["height"] - 4)):
        assert page.evaluate("([x, y]) => !!document.elementFromPoint(x, y).closest('.explain-pop')", [x, y])
    page.screenshot(path=ARTIFACTS / "scorecards-explained.png")
    score = first.locator("td[data-field=score] summary")
    score.click()  # one explanation open at a time
    assert f"= {grid.score:.2f}" in first.locator("td[data-field=score] .explain-pop").inner_text()
    # The other closes on the "toggle" event, which the browser fires a moment later.
    expect(popover).to_be_hidden()
    page.keyboard.press("Escape")
    expect(page.locator(".explain-pop:visible")).to_have_count(0)
    check(page.url)

    # → the work grid's unit grids → one unit grid → the cases behind a figure.
    first.locator("a[data-testid=drill]").click()
    check(f"**/scorecards/{month}/unit_grid?within=work_grid:{grid.subject_id}")
    assert grid.subject_name in page.locator("h1").inner_text()
    cell = page.locator("table[data-testid=scorecard] tbody tr[data-subject-id]").first
    cell_id = cell.get_attribute("data-subject-id")
    cell.locator("th a").click()
    check(f"**/scorecards/{month}/unit_grid/{cell_id}")
    assert grid.subject_name in page.locator("nav.breadcrumb").inner_text()
    figure = page.locator("[data-testid=count-list] a[data-count=reported]")
    reported = int(figure.locator(".count-value").inner_text())
    assert reported > 0
    figure.click()
    check(f"**/scorecards/{month}/unit_grid/{cell_id}/reported")
    assert page.locator("[data-testid=case-list] tbody tr[data-case-id]").count() == reported
    page.locator("[data-testid=case-list] tbody tr[data-case-id] th a").first.click()
    history = check("**/scorecards/cases/*")
    assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d", history)
    page.go_back()
    check(f"**/scorecards/{month}/unit_grid/{cell_id}/reported")

    # …and back up by the breadcrumb: work grid → street → district.
    crumb(grid.subject_name)
    check(f"**/scorecards/{month}/unit_grid?within=work_grid:{grid.subject_id}")
    crumb(street.subject_name)
    check(f"**/scorecards/{month}/work_grid?within=street:{street.subject_id}")
    crumb(district.subject_name)
    check(f"**/scorecards/{month}/street?within=district:{district.subject_id}")

    # The contest's page: its cards in words, no "−0.0".
    page.get_by_test_id("contest-link").click()
    text = check(f"**/scorecards/{month}/contest")
    assert "市容环卫杯" in text and not re.search(r"[-−]0\.0(?!\d)", text)

    # The English switch: the same explanation in English, and no code names.
    page.goto(f"/scorecards/{month}/work_grid?within=street:{street.subject_id}")
    page.locator("[data-set-lang=en]").click()
    page.wait_for_function("document.documentElement.lang.startsWith('en')")
    text = check(f"**/scorecards/{month}/work_grid?within=street:{street.subject_id}", english_names)
    assert f"On-time closure rate = {done} / {due} = {done / due * 100:.1f} %" in text
    page.locator("nav.breadcrumb a", has_text=district.subject_name).click()
    check(f"**/scorecards/{month}/street?within=district:{district.subject_id}", english_names)
    assert len(visited) >= 12
    assert problems == []
