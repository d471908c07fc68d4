"""Acceptance (issue 20 item 3): the manager follows the analysis's link
``/proactive/new?basis=hotspot&id=…&cases=…&title=…`` built from real demo
cases, sees them listed, picks a unit, submits, and the unit's handler finds
the task in their queue and its drawer says 主动治理 — in headless Chromium
against the real server over the demo city; no internal identifier on the
pages.

Screenshot: ``test-artifacts/proactive-new.png``.
"""

from __future__ import annotations

import uuid
from urllib.parse import urlencode

import pytest
from sqlalchemy import select

from gridcity.extensions import db
from gridcity.geo.models import UnitGrid
from gridcity.org.models import Unit
from gridcity.simulate.client import field_photo, report_multipart, signed_in_http
from tests.dispatch.test_dispatch_browser import PASSWORD, open_page
from tests.mobile.phone import handler_of
from tests.scorecards.test_browser_drilldown import VISIBLE_TEXT, internal_identifiers, leaks
from tests.web.test_browser import ARTIFACTS, sign_in

pytestmark = pytest.mark.browser

TITLE = "沙头角第1工作网格暴露垃圾集中清理"


def hotspot_cases(live_server, demo_app) -> list[dict]:
    """Three reports of exposed garbage in insp001's work grid, as the app sends them."""
    inspector = signed_in_http(live_server, "insp001", PASSWORD)
    me = inspector.get(f"{live_server}/api/v1/me").json()
    with demo_app.app_context():
        grids = db.session.scalars(
            select(UnitGrid.geom)
            .where(UnitGrid.work_grid_id == me["scope"]["work_grids"][0]["id"])
            .order_by(UnitGrid.code)
            .limit(3)
        ).all()
        points = [g.representative_point() for g in grids]
        db.session.remove()
    cases = []
    for point in points:
        response = inspector.post(
            f"{live_server}/api/v1/reports",
            headers={"Idempotency-Key": str(uuid.uuid4())},
            **report_multipart({"category": "E0102", "lon": point.x, "lat": point.y}, [field_photo()]),
        )
        assert response.status_code == 201, response.text
        cases.append(response.json())
    return cases


def test_the_manager_turns_a_hotspot_into_a_task_the_unit_finds_in_its_queue(
    create_page, live_server, demo_app
):
    cases = hotspot_cases(live_server, demo_app)
    with demo_app.app_context():
        names = internal_identifiers()
        db.session.remove()
    link = "/proactive/new?" + urlencode(
        {"basis": "hotspot", "id": "H-demo-1", "cases": ",".join(str(c["id"]) for c in cases), "title": TITLE}
    )

    page, problems = create_page()
    page.goto("/")
    page.wait_for_url("**/login?next=/")
    sign_in(page, "manager")
    page.get_by_test_id("proactive-link").click()  # the managers' way in
    page.wait_for_url("**/proactive/")
    page.goto(link)
    # The form: the basis cases listed, each linking to its case page; the title
    # from the link; the unit the rules pick preselected.
    rows = page.locator("[data-testid=basis-cases] tbody tr")
    assert rows.count() == 3
    listed = page.locator("[data-testid=basis-cases] tbody th a").all_inner_texts()
    assert listed == [c["number"] for c in cases]
    assert all("暴露垃圾" in r for r in rows.all_inner_texts())
    assert page.input_value("#pa-title") == TITLE
    routed = page.locator("#pa-unit option:checked").inner_text()
    assert routed.endswith("（按责任规则）")
    assert leaks(page.evaluate(VISIBLE_TEXT), names) == []
    # The manager picks another unit than the rules' and sends it.
    options = page.locator("#pa-unit option").all_inner_texts()
    chosen = next(o for o in options[1:] if o != routed)
    page.select_option("#pa-unit", label=chosen)
    page.fill("#pa-description", "三处垃圾反复堆放，一并清理")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "proactive-new.png"), full_page=True)
    page.get_by_test_id("submit-task").click()
    page.wait_for_url("**/proactive/?created=*")
    created = page.get_by_test_id("task-created").inner_text()
    assert f"已派遣至 {chosen}" in created
    row = page.locator("[data-testid=task-list] tbody tr").first
    assert row.get_by_test_id("task-title").inner_text() == TITLE
    assert row.get_by_test_id("task-state").inner_text() == "已派遣"
    assert leaks(page.evaluate(VISIBLE_TEXT), names) == []
    number = created.split("案卷 ")[1].split(" ")[0]
    assert problems == []

    # The chosen unit's handler finds it on their card list; its drawer says what it is.
    with demo_app.app_context():
        unit_id = db.session.scalar(select(Unit.id).where(Unit.name == chosen))
        db.session.remove()
    unit, unit_problems = open_page(create_page, "/unit/", handler_of(demo_app, unit_id))
    card = unit.locator("#unit-cases [data-case-id]", has_text=number)
    card.wait_for(timeout=5000)
    card.get_by_role("button").click()
    section = unit.get_by_test_id("proactive-section")
    section.wait_for(timeout=5000)
    assert unit.get_by_test_id("proactive-title").inner_text() == TITLE
    assert "依据热点的 3 件案卷" in section.inner_text()
    assert "主动治理" in unit.locator(".drawer-facts").inner_text()
    assert leaks(unit.evaluate(VISIBLE_TEXT), names) == []
    assert unit_problems == []
