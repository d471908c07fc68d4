"""Reporting on a component (部件) in the inspectors' app, on a phone: the
components of the chosen class near the inspector are listed (and drawn on
the map), choosing one snaps the report to it, and the case carries it and
goes to its owner unit rather than to the rules' unit."""

from __future__ import annotations

import math
import re

import pytest
from sqlalchemy import select

from gridcity.extensions import db
from gridcity.geo.models import District
from gridcity.geo.services import locate
from gridcity.inventory.models import Component
from gridcity.inventory.services import add_components
from gridcity.org.models import Unit
from gridcity.taxonomy.services import get_category, responsible_unit_id
from tests.mobile.phone import (
    ARTIFACTS,
    PASSWORD,
    axe_violations,
    cases_by_description,
    grid_point,
    sign_in,
    small_photo,
    wait_map,
)

pytestmark = pytest.mark.browser
CATEGORY = "C0101"


def _east_of(position, metres: float) -> tuple[float, float]:
    return position[0] + metres / (111_320 * math.cos(math.radians(position[1]))), position[1]


def owned_components(demo_app, position) -> dict:
    """Two manhole covers east of ``position``: the nearer owned by a unit
    other than the one the rules name there, the farther by nobody."""
    with demo_app.app_context():
        category, place = get_category(CATEGORY), locate(*position)
        rules_unit = responsible_unit_id(category, place)
        owner = db.session.scalar(select(Unit).where(Unit.id != rules_unit).order_by(Unit.code).limit(1))
        # 部件编码: 6 admin + 2 major + 2 minor + 6 sequence.
        prefix = db.session.get(District, place.district_id).code + category.major.code + category.minor_code
        near, far = _east_of(position, 12), _east_of(position, 70)
        add_components(
            [
                {"category": CATEGORY, "lon": near[0], "lat": near[1], "code": prefix + "990001", "owner": owner.code},
                {"category": CATEGORY, "lon": far[0], "lat": far[1], "code": prefix + "990002", "state": "damaged"},
            ]
        )  # fmt: skip
        db.session.commit()
        rows = db.session.scalars(select(Component).where(Component.code.like(f"{prefix}99000%"))).all()
        found = {c.code: (c.id, c.geom.x, c.geom.y) for c in rows}
        result = {"owner": (owner.code, owner.name), "rules_unit": rules_unit, "near": found[prefix + "990001"],
                  "far": found[prefix + "990002"], "codes": (prefix + "990001", prefix + "990002")}  # fmt: skip
        db.session.remove()
    return result


def test_a_report_on_a_nearby_component_carries_it_and_goes_to_its_owner(
    phone, browser, live_server, demo_app, create_client
):
    position = grid_point(demo_app, "insp010", create_client)
    made = owned_components(demo_app, position)
    near_code, far_code = made["codes"]
    near_id = made["near"][0]
    context, page, problems = phone(position)
    sign_in(page, "insp010")
    wait_map(page)

    page.fill("#category-search", CATEGORY)
    page.click(f"#category-list button[data-code={CATEGORY}]")
    page.wait_for_selector(f"#component-list button[data-component-id='{near_id}']")
    listed = page.locator("#component-list button").all_inner_texts()
    # Nearest first (the demo's own covers too), each with its distance and its state in words.
    distances = [int(re.search(r"(\d+) m", t).group(1)) for t in listed]
    assert distances == sorted(distances)
    near, far = (
        next(i for i, t in enumerate(listed) if t.startswith(code)) for code in (near_code, far_code)
    )
    assert near < far and "12 m · 完好" in listed[near] and "70 m · 破损" in listed[far]
    assert page.locator("#minimap .component-marker").count() == len(listed)  # and on the map
    page.screenshot(path=ARTIFACTS / "m-component-1-nearby.png", full_page=True)
    assert axe_violations(page) == []

    page.click(f"#component-list button[data-component-id='{near_id}']")
    page.wait_for_function(
        "t => document.querySelector('#component-status').textContent.includes(t)", arg=near_code
    )
    snapped = page.evaluate("window.GCM.report.position()")
    assert (snapped["lon"], snapped["lat"]) == pytest.approx(made["near"][1:])
    page.set_input_files("#photo-input", small_photo())
    page.wait_for_selector("#photo-list img")
    page.fill("#description", "井盖松动，车辆经过有响声")
    page.click("#report-submit")
    page.locator("#receipt").wait_for(state="visible")
    assert page.get_by_test_id("receipt-unit").inner_text() == made["owner"][1]
    page.screenshot(path=ARTIFACTS / "m-component-2-receipt.png", full_page=True)
    assert problems == []

    (summary,) = cases_by_description(create_client("insp010"), "井盖松动")
    op, lead, disp = create_client("operator1"), create_client("leader1"), create_client("dispatcher1")
    case = op.post(f"/api/v1/cases/{summary['id']}/accept", json={"version": summary["version"]}).get_json()
    case = lead.post(f"/api/v1/cases/{case['id']}/file", json={"version": case["version"]}).get_json()
    assert case["component"]["code"] == near_code and case["component"]["owner"]["code"] == made["owner"][0]
    assert (case["lon"], case["lat"]) == pytest.approx(made["near"][1:])
    assert case["raw_position"] == pytest.approx({"lon": position[0], "lat": position[1]})
    drawer = disp.get(f"/api/v1/dispatch/cases/{case['id']}").get_json()
    assert drawer["routed_by"] == "component_owner" and drawer["routed_unit"]["code"] == made["owner"][0]
    # The dispatcher's drawer shows the component and offers its owner as the default, saying why.
    desk = browser.new_context(base_url=live_server, viewport={"width": 1280, "height": 800}, bypass_csp=True)
    center = desk.new_page()
    center.goto("/dispatch/")
    center.fill("#username", "dispatcher1")
    center.fill("#password", PASSWORD)
    center.click("#login-submit")
    center.wait_for_selector("body[data-loaded]", state="attached")
    center.evaluate("id => window.GridCityDispatch.drawer.open(id)", case["id"])
    shown = center.locator(f"#drawer[data-case-id='{case['id']}'] [data-testid=drawer-component]")
    assert shown.inner_text() == f"{near_code} · 完好 · 权属单位 {made['owner'][1]}"
    default = center.locator("#drawer select[name=unit_id] option:checked").inner_text()
    assert default == f"{made['owner'][1]} （部件权属单位）"
    center.screenshot(path=ARTIFACTS / "m-component-3-drawer.png")
    desk.close()
    case = disp.post(f"/api/v1/cases/{case['id']}/dispatch", json={"version": case["version"]}).get_json()
    assert case["unit"]["code"] == made["owner"][0] and case["unit"]["id"] != made["rules_unit"]
