"""The admin console's organisation in headless Chromium (issue 17 item 2),
on a copy of the demo city with its own server. An admin, through the UI
only, creates a work grid, picks unit grids of another work grid on the map
(the preview says they move and the save needs that confirmed), saves; the
work grid lists them, the audit log shows before → after, and a new report
in one of them is in the new work grid. Then a unit is created, edited and
deactivated. No page shows an internal identifier.
Screenshots go to ``test-artifacts/admin-org-*.png``."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select

from gridcity.extensions import db
from gridcity.geo.models import UnitGrid
from tests.dispatch.test_dispatch_browser import session_for
from tests.web.conftest import serve_demo_copy
from tests.web.test_admin_people_browser import admin_console
from tests.web.test_browser import ARTIFACTS, browser, create_page  # noqa: F401 - fixtures

pytestmark = pytest.mark.browser

# Three unit grids well inside the map's view, as drawn (their centres on screen).
INSIDE = """() => {
  const box = document.getElementById("pick-map").getBoundingClientRect();
  const inside = [];
  document.querySelectorAll("#pick-map path[data-code]").forEach(p => {
    const r = p.getBoundingClientRect();
    const x = r.left + r.width / 2, y = r.top + r.height / 2;
    if (x > box.left + 80 && x < box.right - 80 && y > box.top + 80 && y < box.bottom - 80 && r.width > 8) {
      inside.push(p.getAttribute("data-code"));
    }
  });
  return inside.slice(0, 3);
}"""


@pytest.fixture(scope="module")
def org_city(demo_city, create_server, tmp_path_factory) -> str:
    """A copy of the demo city (this module changes its organisation) and a server on it."""
    return serve_demo_copy(demo_city, create_server, tmp_path_factory.mktemp("org-city"))


def test_admin_builds_a_work_grid_on_the_map(create_page, org_city, demo_app):  # noqa: F811
    base = org_city
    page, problems, check_words, names = admin_console(create_page, base, demo_app)
    page.get_by_test_id("open-work-grids").click()
    page.wait_for_url("**/admin/work-grids")
    check_words()
    page.fill("#wg-code", "WG99")
    page.fill("#wg-name", "新建工作网格")
    page.get_by_test_id("save-new-work-grid").click()
    page.wait_for_selector("[data-testid=done]")
    assert page.get_by_test_id("unit-grid-count").inner_text() == "0"

    # Pick three unit grids of another work grid; preview, refuse without the confirm, save.
    try:
        page.wait_for_selector("#pick-map[data-loaded]")
    except Exception:
        print("DEBUG", problems, page.get_by_test_id("pick-status").inner_text())
        raise
    codes = page.evaluate(INSIDE)
    assert len(codes) == 3
    for n, code in enumerate(codes, start=1):
        page.locator(f"#pick-map path[data-code='{code}']").click()
        page.wait_for_selector(f"#pick-map[data-selected='{n}']")
        assert page.get_attribute(f"#pick-map path[data-code='{code}']", "data-selected") == "yes"
    page.get_by_test_id("pick-preview").click()
    page.wait_for_selector("[data-testid=pick-summary]:not([hidden])")
    summary = page.get_by_test_id("pick-summary").inner_text()
    assert "加入 3 个单元网格" in summary and "移入本网格" in summary and codes[0] in summary
    page.get_by_test_id("pick-save").click()
    page.wait_for_function("() => document.getElementById('pick-answer').innerText.includes('确认')")
    check_words()
    page.screenshot(path=str(ARTIFACTS / "admin-org-pick.png"), full_page=True)
    page.get_by_test_id("pick-confirm").check()
    page.get_by_test_id("pick-save").click()
    page.wait_for_url("**?done=grids_saved")
    assert page.get_by_test_id("unit-grid-count").inner_text() == "3"
    history = page.get_by_test_id("history").inner_text()
    assert "调整工作网格的单元网格" in history and "单元网格数：0 → 3" in history and codes[1] in history
    page.wait_for_selector("#pick-map[data-selected='3']")
    check_words()
    # A box (two corners) adds every unit grid inside; undo forgets what was not saved.
    page.get_by_test_id("pick-box").click()
    size = page.locator("#pick-map").bounding_box()
    page.locator("#pick-map").click(position={"x": 60, "y": 60})
    page.locator("#pick-map").click(position={"x": size["width"] - 60, "y": size["height"] - 60})
    page.wait_for_function("() => Number(document.getElementById('pick-map').dataset.selected) > 3")
    page.get_by_test_id("pick-reset").click()
    page.wait_for_selector("#pick-map[data-selected='3']")

    page.get_by_test_id("nav-work-grids").click()
    assert page.locator("tr[data-code=WG99] [data-testid=unit-grid-count]").inner_text() == "3"
    page.goto("/admin/audit")
    log = page.get_by_test_id("audit-entries").inner_text()
    assert "新增工作网格" in log and "新建工作网格 (WG99)" in log and "单元网格数：0 → 3" in log
    assert "移入的工作网格" in log  # the work grid they left says where they went
    check_words()

    # A new report in one of them is in the new work grid.
    with demo_app.app_context():
        point = db.session.scalar(
            select(UnitGrid.geom).where(UnitGrid.code == codes[0])
        ).representative_point()
        db.session.remove()
    admin = session_for(base, "admin")
    wg99 = next(w for w in admin.get(f"{base}/api/v1/work-grids").json() if w["code"] == "WG99")
    body = {"category": "E0102", "lon": point.x, "lat": point.y, "source": "hotline", "description": "新网格"}
    case = session_for(base, "operator1").post(
        f"{base}/api/v1/reports", json=body, headers={"Idempotency-Key": str(uuid.uuid4())}
    )
    assert case.status_code == 201, case.text
    assert case.json()["work_grid_id"] == wg99["id"] and wg99["unit_grid_count"] == 3

    # A unit: create, edit its contact, deactivate (one with rules cannot be).
    page.get_by_test_id("nav-units").click()
    page.wait_for_url("**/admin/units")
    check_words()
    routed = admin.get(f"{base}/api/v1/responsibility-rules").json()[0]["unit"]
    page.get_by_test_id("new-unit").click()
    page.fill("#code", "LH-9")
    page.fill("#name", "绿化养护队")
    page.select_option("#kind", label="园林绿化")
    page.get_by_test_id("save-unit").click()
    page.wait_for_selector("[data-testid=done]")
    page.fill("#contact_phone", "电话")
    page.get_by_test_id("save-unit").click()
    assert "联系电话只能包含数字" in page.get_by_test_id("field-error").inner_text()
    page.fill("#contact_phone", "0755-8888 0000")
    page.get_by_test_id("save-unit").click()
    page.wait_for_selector("[data-testid=done]")
    assert "联系电话：— → 0755-8888 0000" in page.get_by_test_id("history").inner_text()
    page.get_by_test_id("deactivate-unit").click()
    page.wait_for_selector("[data-testid=done]")
    assert "已停用" in page.get_by_test_id("unit-state").inner_text()
    assert "启用：是 → 否" in page.get_by_test_id("history").inner_text()
    check_words()
    page.screenshot(path=str(ARTIFACTS / "admin-org-unit.png"), full_page=True)
    page.goto("/admin/units?active=yes")
    page.locator(f"tr[data-code='{routed}'] [data-testid=edit-unit]").click()
    assert page.locator("[data-testid=unit-rules] li").count() > 0  # the rules that route to it, listed
    page.get_by_test_id("deactivate-unit").click()
    assert "责任规则" in page.get_by_test_id("form-error").inner_text()
    assert "启用" in page.get_by_test_id("unit-state").inner_text()
    # The areas and work groups, and an area's page with its history, in words too.
    page.get_by_test_id("nav-areas").click()
    page.wait_for_url("**/admin/areas")
    check_words()
    page.locator("[data-testid=edit-area]").first.click()
    page.wait_for_selector("[data-testid=item-work-grids]")
    check_words()
    assert [p for p in problems if "page error" in p] == []
