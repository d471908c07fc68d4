"""Acceptance of 督办 to the unit's supervisor (issue 15, item 3), in headless
Chromium: the supervisor's /unit/ portal is open; a case of the unit is
overdue past the escalation delay; the server's own deadline sweeper
escalates it, and within a second of that sweep the open portal shows the
督办 — the banner with its count, the 督办 queue, the alert and the card's
badge — without a reload. The history line names the supervisor; the
unit's handler still sees the case escalated. No internal identifier on
either page.

The server runs its embedded scheduler (sweeping every second) over its own
copy of the demo city, as a deployment does; the case's deadline is moved
back directly in the database, so the sweep escalates it on its own.
"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from gridcity.cases.models import Case
from gridcity.extensions import db
from tests.dispatch.conftest import demo_city_copy
from tests.dispatch.test_dispatch_browser import dispatched_case, open_page, session_for
from tests.dispatch.test_urge_browser import place_on
from tests.scorecards.test_browser_drilldown import VISIBLE_TEXT, internal_identifiers, leaks
from tests.web.test_browser import ARTIFACTS

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def escalation_city(demo_city, tmp_path_factory) -> dict:
    """A copy of the demo city this module's server may sweep."""
    with demo_city_copy(demo_city, tmp_path_factory, "escalation-city") as copy:
        yield copy


@pytest.fixture(scope="module")
def sweeping_server(create_server, escalation_city) -> str:
    return create_server(database_url=escalation_city["url"], scheduler_mode="embedded", sweep_seconds="1")


def supervisor_of(server: str, unit_id: int) -> dict:
    users = session_for(server, "admin").get(f"{server}/api/v1/users").json()
    return next(u for u in users if u["role"] == "unit_supervisor" and u["unit"]["id"] == unit_id)


def test_an_overdue_case_is_escalated_and_the_supervisors_open_portal_shows_it_within_a_second(
    create_page, escalation_city, sweeping_server
):
    app = escalation_city["app"]
    place = place_on(sweeping_server, app)
    supervisor = supervisor_of(sweeping_server, place["unit"]["id"])
    case = dispatched_case(sweeping_server, place)

    portal, problems = open_page(create_page, "/unit/", supervisor["username"], server=sweeping_server)
    card = portal.locator(f"#unit-cases [data-case-id='{case['id']}']")
    card.wait_for()
    assert card.get_by_test_id("escalated-badge").count() == 0
    banner = portal.get_by_test_id("escalated-banner")
    escalated_before = int(banner.get_attribute("data-count"))
    assert int(portal.get_attribute("[data-testid=queue-unit_escalated]", "data-count")) == escalated_before

    # Overdue for longer than the escalation delay (24 h by default): the
    # deadline passed 25 hours ago. The server's sweeper does the rest.
    now = dt.datetime.now(dt.UTC)
    with app.app_context():
        db.session.execute(
            Case.__table__.update()
            .where(Case.__table__.c.id == case["id"])
            .values(deadline_at=now - dt.timedelta(hours=25), warn_at=now - dt.timedelta(hours=26))
        )
        db.session.commit()
        db.session.remove()

    portal.wait_for_function(
        """id => document.querySelector(`#unit-cases [data-case-id='${id}'] [data-testid=escalated-badge]`)
             && document.querySelector(`#alerts [data-alert=escalate][data-case-id='${id}']`)""",
        arg=case["id"],
        timeout=10000,
    )
    seen = dt.datetime.now(dt.UTC)
    with app.app_context():
        escalated_at = db.session.scalar(select(Case.escalated_at).where(Case.id == case["id"]))
        db.session.remove()
    assert escalated_at is not None
    delay = (seen - escalated_at).total_seconds()
    print(f"\nthe supervisor's portal showed the 督办 {delay * 1000:.0f} ms after the sweep escalated it")
    assert delay < 1.0

    # The banner and the 督办 queue count it; the queue lists it.
    assert not banner.is_hidden() and int(banner.get_attribute("data-count")) == escalated_before + 1
    assert f"督办：{escalated_before + 1} 件案卷超期未处置" in banner.inner_text()
    assert (
        int(portal.get_attribute("[data-testid=queue-unit_escalated]", "data-count")) == escalated_before + 1
    )
    banner.get_by_role("button").click()
    assert portal.get_attribute("[data-testid=queue-unit_escalated]", "aria-pressed") == "true"
    listed = portal.locator("#unit-cases [data-case-id]")
    assert case["id"] in [int(x) for x in listed.evaluate_all("ns => ns.map(n => n.dataset.caseId)")]
    assert all(n.get_by_test_id("escalated-badge").count() == 1 for n in listed.all())
    alert = portal.locator(f"#alerts [data-alert=escalate][data-case-id='{case['id']}']").inner_text()
    assert case["number"] in alert and "督办" in alert
    portal.screenshot(path=ARTIFACTS / "escalation-supervisor.png")

    # The history names to whom: the supervisor, by name and role.
    card.get_by_role("button").click()
    portal.wait_for_selector(f"#drawer[data-case-id='{case['id']}'] [data-testid=escalated]")
    line = portal.get_by_test_id("history-line").all_inner_texts()[-1]
    assert (
        f"督办：超期未处置，报单位负责人 → {place['unit']['name']}：{supervisor['display_name']}（单位主管）"
        in line
    )
    with app.app_context():
        names = internal_identifiers()
        db.session.remove()
    assert "unit_supervisor" in names
    assert leaks(portal.evaluate(VISIBLE_TEXT), names) == []

    # The unit's handler still sees the case escalated.
    handler, handler_problems = open_page(create_page, "/unit/", place["handler"], server=sweeping_server)
    handler_card = handler.locator(f"#unit-cases [data-case-id='{case['id']}']")
    handler_card.get_by_test_id("escalated-badge").wait_for()
    assert handler.get_by_test_id("escalated-banner").count() == 0  # the banner is the supervisor's
    assert leaks(handler.evaluate(VISIBLE_TEXT), names) == []
    assert problems == [] and handler_problems == []
