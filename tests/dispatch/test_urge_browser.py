"""Acceptance of 催办 (issue 15, item 3), in headless Chromium through the UI
only: a shift leader goes from the landing page's overdue number to the
overdue queue, opens an overdue case and urges its unit; the unit handler's
portal, open meanwhile, shows the urging (alert with the message, 催办 ×1 on
the card) within a second, without a reload. Neither page shows an internal
identifier.

The case is made overdue by the deadline sweeper at its deadline, so this
test runs its own server over its own copy of the demo city (the sweeper
marks every case due by then).
"""

from __future__ import annotations

import datetime as dt
import time

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from sqlalchemy import select

from gridcity.cases.sweeper import sweep
from gridcity.extensions import db
from gridcity.geo.models import WorkGrid
from tests.dispatch.conftest import demo_city_copy
from tests.dispatch.test_dispatch_browser import (
    PASSWORD,
    dispatched_case,
    open_page,
    session_for,
    wait_within,
)
from tests.scorecards.test_browser_drilldown import VISIBLE_TEXT, internal_identifiers, leaks
from tests.web.test_browser import ARTIFACTS

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def urge_city(demo_city, tmp_path_factory) -> dict:
    """A copy of the demo city this module may sweep."""
    with demo_city_copy(demo_city, tmp_path_factory, "urge-city") as copy:
        yield copy


@pytest.fixture(scope="module")
def urge_server(create_server, urge_city) -> str:
    return create_server(database_url=urge_city["url"])


def place_on(server: str, app) -> dict:
    """A point in insp001's first work grid, the unit the rules send E0102
    there to, and a handler of that unit (as tests/dispatch's ``place``)."""
    me = session_for(server, "insp001").get(f"{server}/api/v1/me").json()
    with app.app_context():
        geom = db.session.scalar(
            select(WorkGrid.geom).where(WorkGrid.id == me["scope"]["work_grids"][0]["id"])
        )
        point = geom.representative_point()
        db.session.remove()
    admin = session_for(server, "admin")
    route = admin.get(f"{server}/api/v1/route", params={"category": "E0102", "lon": point.x, "lat": point.y})
    unit = route.json()["unit"]
    handler = next(
        u["username"]
        for u in admin.get(f"{server}/api/v1/users").json()
        if u["role"] == "unit_handler" and u["unit"] and u["unit"]["id"] == unit["id"]
    )
    return {"lon": point.x, "lat": point.y, "unit": unit, "handler": handler}


def sign_in(create_page, server: str, username: str):
    page, problems = create_page(server=server)
    page.goto("/")
    page.wait_for_url("**/login?next=/")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("#login-submit")
    page.wait_for_selector("[data-testid=desk-today]")
    return page, problems


def test_a_leader_urges_an_overdue_unit_and_its_open_portal_shows_it_within_a_second(
    create_page, urge_city, urge_server
):
    place = place_on(urge_server, urge_city["app"])
    case = dispatched_case(urge_server, place)
    with urge_city["app"].app_context():
        marked = sweep(dt.datetime.fromisoformat(case["deadline_at"]) + dt.timedelta(seconds=1))
        db.session.remove()
    assert marked["overdue"] >= 1

    # The unit handler's portal is open, the case overdue on it.
    unit, unit_problems = open_page(create_page, "/unit/", place["handler"], server=urge_server)
    card = unit.locator(f"#unit-cases [data-case-id='{case['id']}']")
    card.wait_for()
    assert "dl-overdue" in card.get_attribute("class")
    assert card.get_by_test_id("urge-badge").count() == 0

    # The shift leader's landing page: the overdue number leads to the overdue queue.
    leader, problems = sign_in(create_page, urge_server, "leader1")
    overdue = leader.get_by_test_id("desk-overdue")
    assert int(overdue.locator("[data-value]").inner_text()) >= 1
    urged_before = int(leader.get_by_test_id("desk-urged").locator("[data-value]").inner_text())
    with urge_city["app"].app_context():
        names = internal_identifiers()
        db.session.remove()
    assert leaks(leader.evaluate(VISIBLE_TEXT), names) == []
    leader.screenshot(path=ARTIFACTS / "urge-leader-home.png")
    overdue.click()
    leader.wait_for_url("**/dispatch/?queue=overdue")
    leader.wait_for_selector("body[data-loaded][data-live=connected]", state="attached", timeout=15000)
    # The queue's list is redrawn by live changes: a click that lands as its
    # row is replaced opens nothing, so the row is clicked until the drawer
    # holds the case (a person clicks again too).
    row = leader.locator(f"#case-list [data-case-id='{case['id']}']")
    form = leader.locator(f"#drawer[data-case-id='{case['id']}'] [data-action-form=urge]")
    for _ in range(5):
        row.click()
        try:
            form.wait_for(timeout=5000)
            break
        except PlaywrightTimeout:
            continue
    form.wait_for()
    form.locator("input[name=reason]").fill("已超期，请今天内处置并回复")

    started = time.monotonic()
    form.locator("button[type=submit]").click()
    seen = wait_within(
        unit,
        """id => document.querySelector(`#alerts [data-alert=urge][data-case-id='${id}']`)
             && document.querySelector(`#unit-cases [data-case-id='${id}'] [data-testid=urge-badge]`)""",
        case["id"],
        started,
        1.0,
    )
    print(f"\nthe unit's portal showed the urging {seen * 1000:.0f} ms after the click")
    alert = unit.locator(f"#alerts [data-alert=urge][data-case-id='{case['id']}']").inner_text()
    assert (
        case["number"] in alert
        and "催办" in alert
        and "第 1 次" in alert
        and "已超期，请今天内处置并回复" in alert
    )
    assert card.get_by_test_id("urge-badge").inner_text() == "催办 ×1"
    assert card.get_by_test_id("urge-note").inner_text() == "催办事由：已超期，请今天内处置并回复"
    unit.screenshot(path=ARTIFACTS / "urge-unit.png")

    # The leader's drawer counts it; the queue of urged cases holds it.
    leader.wait_for_selector("#drawer [data-testid=urge-count]")
    assert leader.get_by_test_id("urge-count").inner_text() == "已催办 1 次"
    leader.get_by_test_id("queue-urged").click()
    listed = leader.locator(f"#case-list [data-case-id='{case['id']}']")
    assert "催办 ×1" in listed.inner_text() and place["unit"]["name"] in listed.inner_text()

    # The unit's drawer tells it in words: who urged which unit, why.
    card.get_by_role("button").click()
    unit.wait_for_selector(f"#drawer[data-case-id='{case['id']}'] [data-testid=urge]")
    line = unit.get_by_test_id("history-line").all_inner_texts()[-1]
    assert "（值班长） · 催办 → " + place["unit"]["name"] + " — 已超期，请今天内处置并回复" in line
    assert leaks(unit.evaluate(VISIBLE_TEXT), names) == []

    # Back on the landing page, the urged number has gone up by one.
    leader.goto("/")
    assert int(leader.get_by_test_id("desk-urged").locator("[data-value]").inner_text()) == urged_before + 1
    assert problems == [] and unit_problems == []
