"""Acceptance (issue 15): an operator takes a hotline call, sees the nearby
duplicate and files a new case — in headless Chromium against the real
server over the demo city, acting only through the page (the open case
nearby is an inspector's report sent as the phone app does).

Screenshot: ``test-artifacts/hotline-call.png``.
"""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from gridcity.extensions import db
from gridcity.geo.models import WorkGrid
from gridcity.geo.services import locate
from gridcity.simulate.client import field_photo, report_multipart, signed_in_http
from tests.web.test_browser import ARTIFACTS

pytestmark = pytest.mark.browser

PASSWORD = "gridcity-demo"
# Internal names the page must never show (states, actions, roles, sources, fields).
INTERNAL = re.compile(
    r"\b(?:reported|verifying|accepted|filed|in_progress|add_call|follow_up|hotline|public|"
    r"operator|shift_leader|inspector|dispatcher|caller_phone|join_case|None|null|undefined)\b"
)


def test_an_operator_takes_a_call_sees_the_nearby_duplicate_and_files_a_new_case(
    create_page, live_server, demo_app
):
    inspector = signed_in_http(live_server, "insp001", PASSWORD)
    me = inspector.get(f"{live_server}/api/v1/me").json()
    with demo_app.app_context():
        geom = db.session.scalar(
            select(WorkGrid.geom).where(WorkGrid.id == me["scope"]["work_grids"][0]["id"])
        )
        point = geom.representative_point()
        grid_code = locate(point.x, point.y).unit_grid_code  # the unit grid it lies in
        db.session.remove()
    existing = inspector.post(  # as the app sends it: with its photo
        f"{live_server}/api/v1/reports",
        headers={"Idempotency-Key": str(uuid.uuid4())},
        **report_multipart(
            {"category": "E0102", "lon": point.x, "lat": point.y, "description": "路口暴露垃圾"},
            [field_photo()],
        ),
    )
    assert existing.status_code == 201, existing.text
    existing = existing.json()

    page, problems = create_page()
    page.goto("/")
    page.wait_for_url("**/login?next=/")
    page.fill("#username", "operator1")
    page.fill("#password", PASSWORD)
    page.click("#login-submit")
    page.get_by_test_id("hotline-link").click()
    page.wait_for_url("**/hotline/")
    page.wait_for_selector("body[data-loaded]", state="attached")
    # The photo picker is a button of ours (not "Choose Files" in the computer's language).
    assert page.locator("#hl-photos-button").inner_text() == "选择照片"
    assert page.locator("#hl-photos-chosen").inner_text() == "未选择照片"

    # The caller.
    page.select_option("#hl-channel", label="12345 政务服务热线")
    page.fill("#hl-ticket", "GD-20261207-0042")
    page.fill("#hl-name", "陈女士")
    page.fill("#hl-phone", "13912345678")
    page.check("#hl-callback")
    # The place: an unknown address says what to type; the grid code is found…
    page.fill("#hl-address", "火星基地")
    page.click("#hl-find")
    expect(page.get_by_test_id("hotline-message")).to_contain_text("找不到“火星基地”")
    page.fill("#hl-address", grid_code)
    page.press("#hl-address", "Enter")
    page.locator("[data-candidate=unit_grid]").click()
    expect(page.get_by_test_id("chosen-place")).to_contain_text(grid_code)
    # …and the operator puts the pin where the caller says, 10 m from the open case.
    target = page.evaluate(
        """([lon, lat]) => { const h = window.GridCityHotline; h.map.setView(h.toDisplay(lon, lat), 18, {animate: false});
            const p = h.map.latLngToContainerPoint(h.toDisplay(lon, lat)); return [p.x, p.y]; }""",
        [point.x + 0.0001, point.y],
    )
    page.locator("#map").click(position={"x": target[0], "y": target[1]})
    assert "地图点选" in page.get_by_test_id("chosen-place").inner_text()
    # The category shows its filing standard, and the open case nearby shows up before saving.
    page.select_option("#hl-category", label="暴露垃圾")
    standard = page.get_by_test_id("filing-standard")
    assert standard.is_visible() and len(standard.inner_text()) > len("立案标准") + 4
    duplicate = page.locator(f"[data-testid=duplicate][data-number='{existing['number']}']")
    duplicate.wait_for()
    assert re.search(r"· (\d+) 米", duplicate.inner_text())
    assert 5 <= int(re.search(r"· (\d+) 米", duplicate.inner_text()).group(1)) <= 15
    assert duplicate.get_by_role("button", name="并入此案卷").is_visible()
    page.screenshot(path=ARTIFACTS / "hotline-duplicate.png")
    # The caller describes another problem: a new case.
    page.fill("#hl-description", "垃圾桶旁边还有一堆建筑垃圾，和之前的不是一回事")
    page.click("#hl-save")
    message = page.get_by_test_id("hotline-message")
    page.wait_for_function("() => document.body.dataset.lastCase")
    number = page.evaluate("document.body.dataset.lastCase")
    expect(message).to_have_text(f"已登记案卷 {number}，核实任务已派给网格监督员。")
    assert number != existing["number"]
    expect(page.get_by_test_id("recent-call").first).to_contain_text(number)
    recent = page.get_by_test_id("recent-call").first.inner_text()
    assert number in recent and "139****5678" in recent and "13912345678" not in recent
    page.screenshot(path=ARTIFACTS / "hotline-call.png")
    assert INTERNAL.findall(page.locator("body").inner_text()) == []

    # The operator answers the caller from the case's drawer on the centers' map (回复).
    page.goto("/")
    page.get_by_test_id("dispatch-link").click()
    page.wait_for_selector("body[data-loaded][data-live=connected]", state="attached", timeout=15000)
    page.get_by_test_id("queue-to_verify").click()
    page.locator(f"#case-list [data-case-id]:has-text('{number}')").click()
    section = page.get_by_test_id("hotline-section")
    expect(section.get_by_test_id("hotline-calls")).to_contain_text("陈女士 13912345678 · 要求回复")
    section.get_by_label("答复内容").fill("已派监督员到现场核实，处理后回复您")
    section.get_by_role("button", name="记录答复").click()
    expect(page.get_by_test_id("history-line").last).to_contain_text(
        "（受理员） · 答复来电人 — 已派监督员到现场核实，处理后回复您"
    )
    expect(section).to_contain_text("办结（结案或作废）后可回访")  # the follow-up waits for that
    assert INTERNAL.findall(page.get_by_test_id("drawer").inner_text()) == []

    # What the operator filed, as the center sees it.
    operator = signed_in_http(live_server, "operator1", PASSWORD)
    found = operator.get(f"{live_server}/api/v1/cases", params={"q": number}).json()["items"]
    case = operator.get(f"{live_server}/api/v1/cases/{found[0]['id']}").json()
    assert case["state"] == "verifying" and case["source"] == "hotline"
    assert [t["kind"] for t in case["tasks"]] == ["verify"]
    calls = operator.get(f"{live_server}/api/v1/hotline/cases/{case['id']}/calls").json()["calls"]
    assert calls[0]["caller_phone"] == "13912345678" and calls[0]["ticket_number"] == "GD-20261207-0042"
    # The unknown address was answered 404 (with its message, shown above),
    # which the browser logs; nothing else went wrong.
    assert [p for p in problems if "status of 404" not in p] == []
    assert len(problems) <= 1
