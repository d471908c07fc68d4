"""The dispatch map and the unit portal in headless Chromium against the real
server (``gridcity serve``) over the demo city: a report posted through the
API reaches the open pages live, is filed and dispatched from the drawer and
shows up in the unit's portal; a dropped connection resyncs without a reload;
both pages pass axe.

Screenshots go to ``test-artifacts/dispatch-*.png``.
"""

from __future__ import annotations

import json
import os
import re
import time
import uuid

import pytest
import requests
import socketio
from PIL import Image
from sqlalchemy import select

from gridcity.extensions import db
from gridcity.geo.models import WorkGrid
from gridcity.simulate.client import ApiSession, field_photo, report_multipart, signed_in_http
from tests.cases.conftest import jpeg_bytes
from tests.web.test_browser import ARTIFACTS

pytestmark = pytest.mark.browser

PASSWORD = "gridcity-demo"
AXE = "/static/vendor/axe-core-4.14.1/axe.min.js"
OFFLINE_NOISE = ("ERR_INTERNET_DISCONNECTED", "status of 409", "WebSocket", "ERR_CONNECTION")


def session_for(base_url: str, username: str) -> requests.Session:
    """An API client signed in as ``username`` (what a phone or a script does)."""
    return signed_in_http(base_url, username, PASSWORD)


def open_page(create_page, path: str, username: str, **kwargs):
    page, problems = create_page(**kwargs)
    page.goto(path)
    page.wait_for_url(f"**/login?next={path}")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("#login-submit")
    page.wait_for_url(f"**{path}")
    try:
        page.wait_for_selector("body[data-loaded][data-live=connected]", state="attached", timeout=15000)
        page.wait_for_selector("button[data-queue][data-count]", state="attached")  # counted
    except Exception:
        print("DEBUG", problems, page.evaluate("JSON.stringify(document.body.dataset)"))
        raise
    return page, problems


def queue_count(page, key: str) -> int:
    return int(page.get_attribute(f"[data-testid=queue-{key}]", "data-count"))


def on_map(page, case_id: int) -> bool:
    return page.evaluate(
        """id => { const d = window.GridCityDispatch; const m = d.markers.get(id);
                   return Boolean(m) && d.clusters.hasLayer(m); }""",
        case_id,
    )


def wait_within(page, expression: str, arg, started: float, limit_s: float) -> float:
    """Wait for ``expression`` to hold; returns the seconds since ``started``."""
    page.wait_for_function(
        expression, arg=arg, timeout=max(limit_s - (time.monotonic() - started), 0.05) * 1000
    )
    return time.monotonic() - started


def axe_violations(page) -> list[str]:
    page.add_script_tag(url=AXE)
    result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}"
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


@pytest.fixture(scope="module")
def place(demo_app, live_server):
    """A point in insp001's first work grid, the unit the rules send E0102
    there to, and a handler of that unit."""
    me = session_for(live_server, "insp001").get(f"{live_server}/api/v1/me").json()
    with demo_app.app_context():
        geom = db.session.scalar(
            select(WorkGrid.geom).where(WorkGrid.id == me["scope"]["work_grids"][0]["id"])
        )
        point = geom.representative_point()
        db.session.remove()
    admin = session_for(live_server, "admin")
    route = admin.get(
        f"{live_server}/api/v1/route", params={"category": "E0102", "lon": point.x, "lat": point.y}
    ).json()
    unit = route["unit"]
    handler = next(
        u["username"]
        for u in admin.get(f"{live_server}/api/v1/users").json()
        if u["role"] == "unit_handler" and u["unit"] and u["unit"]["id"] == unit["id"]
    )
    return {"lon": point.x, "lat": point.y, "unit": unit, "handler": handler}


def report(http, base_url: str, place: dict, **fields) -> dict:
    body = {
        "category": "E0102",
        "lon": place["lon"],
        "lat": place["lat"],
        "description": "路口暴露垃圾",
        **fields,
    }
    response = http.post(  # as the app sends it: with a photo
        f"{base_url}/api/v1/reports",
        headers={"Idempotency-Key": str(uuid.uuid4())},
        **report_multipart(body, [field_photo()]),
    )
    assert response.status_code == 201, response.text
    return response.json()


def test_a_report_goes_live_from_the_map_to_the_unit_portal(create_page, live_server, place):
    dispatcher, problems = open_page(create_page, "/dispatch/", "dispatcher1")
    leader, leader_problems = open_page(create_page, "/dispatch/", "leader1")
    unit, unit_problems = open_page(create_page, "/unit/", place["handler"])
    assert dispatcher.get_by_test_id("role-name").inner_text() == "派遣员"
    wait_map = "document.querySelector('#map[data-streets][data-work-grids]')"
    dispatcher.wait_for_function(wait_map)
    to_accept = queue_count(dispatcher, "to_accept")
    to_dispatch = queue_count(dispatcher, "to_dispatch")
    dispatcher.wait_for_timeout(300)
    dispatcher.screenshot(path=ARTIFACTS / "dispatch-map.png")

    # An inspector reports an urgent case through the API.
    inspector = session_for(live_server, "insp001")
    case = report(inspector, live_server, place, urgency="urgent")
    posted = time.monotonic()
    marker_s = wait_within(
        dispatcher,
        "id => { const d = window.GridCityDispatch; const m = d.markers.get(id); return m && d.clusters.hasLayer(m); }",
        case["id"],
        posted,
        1.0,
    )
    count_s = wait_within(
        dispatcher,
        "n => Number(document.querySelector('[data-testid=queue-to_accept]').dataset.count) === n",
        to_accept + 1,
        posted,
        1.0,
    )
    assert marker_s < 1.0 and count_s < 1.0
    print(f"marker after {marker_s * 1000:.0f} ms, queue count after {count_s * 1000:.0f} ms")
    # Urgent: a visible alert naming the case, and a beep (sound is on by default).
    alert = dispatcher.locator(f"#alerts [data-case-id='{case['id']}']")
    alert.wait_for()
    assert case["number"] in alert.inner_text()
    assert int(dispatcher.get_attribute("body", "data-beeps")) >= 1
    assert dispatcher.evaluate("document.readyState") == "complete"
    dispatcher.screenshot(path=ARTIFACTS / "dispatch-alert.png")

    # The operator accepts it (API); the shift leader files it from the drawer, via the queue.
    operator = session_for(live_server, "operator1")
    accepted = operator.post(
        f"{live_server}/api/v1/cases/{case['id']}/accept", json={"version": case["version"]}
    )
    assert accepted.status_code == 200, accepted.text
    leader.wait_for_function(
        "id => window.GridCityDispatch.live.cases.get(id)?.state === 'accepted'", arg=case["id"], timeout=2000
    )
    leader.click("[data-testid=queue-to_file]")
    leader.click(f"#case-list [data-case-id='{case['id']}']")
    drawer = leader.get_by_test_id("drawer")
    leader.wait_for_selector(f"#drawer[data-case-id='{case['id']}'][data-state=accepted]")
    assert leader.locator("[data-action-form]").evaluate_all(
        "forms => forms.map(f => f.dataset.actionForm)"
    ) == [
        "file",
        "void",
    ]
    assert drawer.get_by_test_id("history").locator("li").count() == 2  # reported, accepted
    leader.fill("[data-action-form=file] input[name=note]", "符合立案标准")
    leader.screenshot(path=ARTIFACTS / "dispatch-drawer-file.png")
    leader.click("[data-action-form=file] button[type=submit]")
    leader.wait_for_selector("#drawer[data-state=filed]")
    assert "已立案" in drawer.get_by_test_id("drawer-state").inner_text()

    # The dispatcher sees it waiting for dispatch and sends it to the rules' unit.
    dispatcher.wait_for_function(
        "n => Number(document.querySelector('[data-testid=queue-to_dispatch]').dataset.count) === n",
        arg=to_dispatch + 1,
        timeout=2000,
    )
    dispatcher.evaluate("id => window.GridCityDispatch.drawer.open(id)", case["id"])
    dispatcher.wait_for_selector(f"#drawer[data-case-id='{case['id']}'][data-state=filed]")
    picker = dispatcher.locator("[data-action-form=dispatch] select[name=unit_id]")
    assert picker.input_value() == str(place["unit"]["id"])  # the rules' unit is the default
    dispatcher.screenshot(path=ARTIFACTS / "dispatch-drawer-dispatch.png")
    dispatcher.click("[data-action-form=dispatch] button[type=submit]")
    dispatcher.wait_for_selector("#drawer[data-state=dispatched]")
    assert place["unit"]["name"] in dispatcher.locator("#drawer .drawer-facts").inner_text()

    # The unit's open portal shows it, without a reload, with its time left; the handler accepts it.
    card = unit.locator(f"#unit-cases [data-case-id='{case['id']}']")
    card.wait_for(timeout=2000)
    assert "剩余" in card.get_by_test_id("time-left").inner_text()
    assert queue_count(unit, "unit_new") >= 1
    unit.screenshot(path=ARTIFACTS / "dispatch-unit-portal.png")
    card.get_by_role("button").click()
    unit.wait_for_selector(f"#drawer[data-case-id='{case['id']}'][data-state=dispatched]")
    assert unit.locator("[data-action-form]").evaluate_all(
        "forms => forms.map(f => f.dataset.actionForm)"
    ) == [
        "unit_accept",
        "request",
    ]
    unit.click("[data-action-form=unit_accept] button[type=submit]")
    unit.wait_for_selector("#drawer[data-state=in_progress]")
    unit.wait_for_selector(f"#unit-cases [data-case-id='{case['id']}'][data-state=in_progress]")
    dispatcher.wait_for_function(
        "id => window.GridCityDispatch.live.cases.get(id)?.state === 'in_progress'",
        arg=case["id"],
        timeout=2000,
    )
    # The portal holds our unit's cases only (the server sends it only those).
    assert unit.evaluate(
        "uid => [...window.GridCityUnit.live.cases.values()].every(c => c.unit_id === uid)",
        place["unit"]["id"],
    )
    for found in (problems, leader_problems, unit_problems):
        assert found == []


def test_a_stale_drawer_says_so_and_reloads(create_page, live_server, place):
    leader, problems = open_page(create_page, "/dispatch/", "leader2")
    case = report(session_for(live_server, "insp001"), live_server, place)
    operator = session_for(live_server, "operator1")
    version = operator.post(
        f"{live_server}/api/v1/cases/{case['id']}/accept", json={"version": case["version"]}
    )
    leader.wait_for_function("id => window.GridCityDispatch.live.cases.has(id)", arg=case["id"])
    leader.evaluate("id => window.GridCityDispatch.drawer.open(id)", case["id"])
    leader.wait_for_selector("#drawer[data-state=accepted]")
    # Cut the live feed so the drawer cannot know; someone else files it meanwhile.
    leader.evaluate("window.GridCityDispatch.live.socket.disconnect()")
    other = session_for(live_server, "leader1")
    filed = other.post(
        f"{live_server}/api/v1/cases/{case['id']}/file", json={"version": version.json()["version"]}
    )
    assert filed.status_code == 200, filed.text
    leader.click("[data-action-form=file] button[type=submit]")
    message = leader.locator("[data-drawer-message]")
    leader.wait_for_selector("#drawer[data-state=filed]")
    message.wait_for()
    assert "已被他人更新" in message.inner_text()
    assert leader.locator("[data-action-form=file]").count() == 0  # filed now: nothing for a leader to file
    leader.screenshot(path=ARTIFACTS / "dispatch-drawer-stale.png")
    assert [p for p in problems if "status of 409" not in p] == []


def test_a_dropped_connection_resyncs_what_it_missed_once(create_page, live_server, place):
    page, problems = open_page(create_page, "/dispatch/", "dispatcher2")
    context = page.context
    inspector = session_for(live_server, "insp001")
    before = page.evaluate("window.GridCityDispatch.live.cases.size")
    resyncs = int(page.get_attribute("body", "data-resyncs") or 0)

    context.set_offline(True)
    page.evaluate("window.GridCityDispatch.live.socket.io.engine.close()")
    page.wait_for_selector("body[data-live=offline]", state="attached")
    made = [report(inspector, live_server, place)["id"] for _ in range(5)]
    page.wait_for_timeout(500)
    assert page.evaluate("window.GridCityDispatch.live.cases.size") == before  # nothing arrives meanwhile
    assert page.locator("#live-status").inner_text() == "连接中断，正在重连…"

    context.set_offline(False)
    page.wait_for_selector("body[data-live=connected]", state="attached", timeout=15000)
    page.wait_for_function("n => Number(document.body.dataset.resyncs || 0) > n", arg=resyncs, timeout=5000)
    found = page.evaluate(
        """ids => { const d = window.GridCityDispatch;
                    return ids.map(id => d.clusters.getLayers().filter(m => m.caseId === id).length); }""",
        made,
    )
    assert found == [1, 1, 1, 1, 1]
    assert page.evaluate("window.GridCityDispatch.live.cases.size") == before + 5
    assert page.evaluate("window.GridCityDispatch.clusters.getLayers().length") == before + 5
    page.wait_for_function(  # the counts follow within 100 ms
        "n => Number(document.querySelector('[data-testid=queue-to_accept]').dataset.count) >= n", arg=5
    )
    # The page was not reloaded, and live events flow again.
    assert page.evaluate("performance.getEntriesByType('navigation').length") == 1
    again = report(inspector, live_server, place)["id"]
    page.wait_for_function("id => window.GridCityDispatch.markers.has(id)", arg=again, timeout=2000)
    assert [p for p in problems if not any(noise in p for noise in OFFLINE_NOISE)] == []


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_both_pages_pass_axe(create_page, live_server, place, lang):
    case = report(session_for(live_server, "insp001"), live_server, place)
    page, problems = open_page(create_page, "/dispatch/", "operator2", lang=lang)
    page.wait_for_function("document.querySelector('#map[data-streets][data-work-grids]')")
    page.evaluate("id => window.GridCityDispatch.drawer.open(id)", case["id"])
    page.wait_for_selector(f"#drawer[data-case-id='{case['id']}'] [data-action-form=accept]")
    page.click("[data-testid=queue-to_accept]")
    assert axe_violations(page) == []
    unit, unit_problems = open_page(create_page, "/unit/", place["handler"], lang=lang)
    if unit.locator("#unit-cases li").count():
        unit.locator("#unit-cases li button").first.click()
        unit.wait_for_selector("#drawer[data-case-id] [data-drawer-body] h3")
    assert axe_violations(unit) == []
    assert problems == [] and unit_problems == []


def dispatched_case(live_server, place, **fields) -> dict:
    """A case reported, accepted, filed and dispatched through the API."""
    case = report(session_for(live_server, "insp001"), live_server, place, **fields)
    for user, action in (("operator1", "accept"), ("leader1", "file"), ("dispatcher1", "dispatch")):
        response = session_for(live_server, user).post(
            f"{live_server}/api/v1/cases/{case['id']}/{action}", json={"version": case["version"]}
        )
        assert response.status_code == 200, response.text
        case = response.json()
    return case


def test_the_unit_asks_for_more_time_and_reports_it_handled_with_photos(
    create_page, live_server, place, tmp_path
):
    case = dispatched_case(live_server, place)
    unit, unit_problems = open_page(create_page, "/unit/", place["handler"])
    dispatcher, problems = open_page(create_page, "/dispatch/", "dispatcher1")
    requests_before = queue_count(dispatcher, "requests")
    card = unit.locator(f"#unit-cases [data-case-id='{case['id']}']")
    card.get_by_role("button").click()
    unit.wait_for_selector(f"#drawer[data-case-id='{case['id']}'] [data-action-form=request]")

    # Ask for an extension: the dispatcher's queue of requests counts it at once.
    form = unit.locator("[data-action-form=request]")
    form.locator("select[name=kind]").select_option("extension")
    assert form.locator("input[name=review_on]").is_hidden()
    # E0102's clock counts working hours: the amount says so.
    assert "延长时长（工作小时）" in form.inner_text()
    form.locator("input[name=reason]").fill("需要吊车配合，明日处理")
    form.locator("input[name=extra_amount]").fill("4")
    form.locator("button[type=submit]").click()
    unit.wait_for_selector("[data-testid=pending-request]")
    assert "延期" in unit.get_by_test_id("pending-request").inner_text()
    assert unit.locator("[data-action-form=request]").count() == 0  # one request at a time
    dispatcher.wait_for_function(
        "n => Number(document.querySelector('[data-testid=queue-requests]').dataset.count) === n",
        arg=requests_before + 1,
        timeout=2000,
    )

    # The dispatcher approves it from the drawer; the unit's deadline moves.
    deadline_before = case["deadline_at"]
    dispatcher.click("[data-testid=queue-requests]")
    dispatcher.click(f"#case-list [data-case-id='{case['id']}']")
    dispatcher.wait_for_selector(f"#drawer[data-case-id='{case['id']}'] [data-action-form=decide]")
    assert "需要吊车配合" in dispatcher.get_by_test_id("pending-request").inner_text()
    dispatcher.screenshot(path=ARTIFACTS / "dispatch-drawer-decide.png")
    dispatcher.click("[data-action-form=decide] [data-decide=approve]")
    dispatcher.wait_for_selector("#drawer:not(:has([data-testid=pending-request]))")
    dispatcher.wait_for_function(
        "n => Number(document.querySelector('[data-testid=queue-requests]').dataset.count) === n",
        arg=requests_before,
        timeout=2000,
    )
    unit.wait_for_selector("#drawer:not(:has([data-testid=pending-request]))", timeout=3000)
    after = session_for(live_server, "dispatcher1").get(f"{live_server}/api/v1/cases/{case['id']}").json()
    assert after["deadline_at"] > deadline_before and after["counts"]["extension"] == 1

    # The unit accepts and reports it handled with a proof photo.
    unit.click("[data-action-form=unit_accept] button[type=submit]")
    unit.wait_for_selector("#drawer[data-state=in_progress] [data-action-form=handle]")
    photo = tmp_path / "done.jpg"
    Image.new("RGB", (640, 480), (90, 140, 200)).save(photo, "JPEG")
    unit.fill("[data-action-form=handle] input[name=note]", "已清理完毕")
    unit.set_input_files("[data-action-form=handle] input[name=photos]", str(photo))
    unit.click("[data-action-form=handle] button[type=submit]")
    unit.wait_for_selector("#drawer[data-state=handled]")
    assert unit.locator("[data-photos=after] img").count() == 1
    unit.wait_for_function("document.querySelectorAll('#drawer-map path').length > 2")  # the grids around it
    unit.screenshot(path=ARTIFACTS / "dispatch-unit-handled.png")
    dispatcher.wait_for_function(
        "id => window.GridCityDispatch.live.cases.get(id)?.state === 'handled'", arg=case["id"], timeout=2000
    )
    assert problems == [] and unit_problems == []


def act_with_photo(live_server, username: str, case: dict, action: str, **fields) -> dict:
    """A step with a proof photo, as the phone and the portal send it."""
    response = session_for(live_server, username).post(
        f"{live_server}/api/v1/cases/{case['id']}/{action}",
        data={"data": json.dumps({"version": case["version"], **fields})},
        files=[("photos", ("p.jpg", jpeg_bytes(), "image/jpeg"))],
    )
    assert response.status_code == 200, response.text
    return response.json()


def lines_of(page) -> list[str]:
    return page.get_by_test_id("history-line").all_inner_texts()


def test_a_failed_check_reaches_the_unit_as_rework_with_its_reason_and_photo(create_page, live_server, place):
    """Issue 15, defect 3: the unit sees the case come back as 返工 — on its
    card at once, and in the drawer with the inspector's reason and photo —
    distinct from a first handling."""
    case = dispatched_case(live_server, place)
    handler = session_for(live_server, place["handler"])
    case = handler.post(
        f"{live_server}/api/v1/cases/{case['id']}/unit_accept", json={"version": case["version"]}
    ).json()
    case = act_with_photo(live_server, place["handler"], case, "handle", note="已清理")
    unit, problems = open_page(create_page, "/unit/", place["handler"])
    card = unit.locator(f"#unit-cases [data-case-id='{case['id']}']")
    assert card.count() == 0 or card.get_by_test_id("rework-badge").count() == 0

    inspector = next(t for t in case["tasks"] if t["kind"] == "check")["inspector_id"]
    username = next(
        u["username"]
        for u in session_for(live_server, "admin").get(f"{live_server}/api/v1/users").json()
        if u["id"] == inspector
    )
    act_with_photo(live_server, username, case, "check", result="fail", note="路口仍有垃圾未清运")
    card.get_by_test_id("rework-badge").wait_for(timeout=3000)
    assert card.get_by_test_id("rework-badge").inner_text() == "返工"
    card.get_by_role("button").click()
    unit.wait_for_selector(f"#drawer[data-case-id='{case['id']}'] [data-testid=rework]")
    block = unit.get_by_test_id("rework")
    assert "返工（第 1 次）" in block.inner_text()
    assert unit.get_by_test_id("rework-reason").inner_text() == "返工原因：路口仍有垃圾未清运"
    assert block.locator("[data-photos=rework] img").count() == 1
    # Evidence first: each photo says its stage and who took it (name and role).
    after = unit.locator(".drawer-photos [data-photos=after] [data-testid=photo]")
    assert after.count() == 2
    stages = after.get_by_test_id("photo-stage").all_inner_texts()
    takers = after.get_by_test_id("photo-who").all_inner_texts()
    assert stages == ["处置", "核查（未通过）"]
    assert takers[0].endswith("（责任单位）") and takers[1].endswith("（监督员）")
    assert takers[1].split("（")[0] in lines_of(unit)[-1]
    # The history traces responsibility: who (name and role), what with its
    # outcome, to whom, why — with the step's photo — and no internal code.
    lines = unit.get_by_test_id("history-line").all_inner_texts()
    dispatched = next(line for line in lines if "派遣 → " in line)
    assert dispatched.endswith("派遣 → " + place["unit"]["name"]) and "（派遣员）" in dispatched
    failed = lines[-1]
    assert f"（监督员） · 核查不通过，返工 → {place['unit']['name']} — 路口仍有垃圾未清运" in failed
    assert failed.endswith("照片1")
    assert "（责任单位） · 处置完成 → " in lines[-2] and lines[-2].count("照片") == 1
    codes = re.findall(
        r"\b(?:dispatch|check|handle|unit_accept|inspector|dispatcher|unit_handler|in_progress)\b",
        " ".join(lines) + " " + unit.locator("#drawer").inner_text(),
    )
    assert codes == []  # nor anywhere in the drawer (photo captions, standards, forms)
    unit.screenshot(path=ARTIFACTS / "unit-rework.png")
    assert problems == []


def test_overdue_alert_and_the_sound_switch_is_remembered(create_page, live_server, place):
    case = dispatched_case(live_server, place)
    page, problems = open_page(create_page, "/dispatch/", "leader2")
    page.wait_for_function("id => window.GridCityDispatch.live.cases.has(id)", arg=case["id"])
    # What the deadline sweeper emits when it marks the case overdue (cases/sweeper.py).
    overdue_event = """id => { const live = window.GridCityDispatch.live; const c = live.cases.get(id);
        live._applyEvent({seq: live.lastSeq + 1, action: "overdue", case: {
            id: c.id, number: c.number, state: c.state, version: c.version + 1, lon: c.lon, lat: c.lat,
            category: c.category, urgency: c.urgency, unit_id: c.unit_id, street_id: c.street_id,
            work_grid_id: c.work_grid_id, source: c.source, deadline_at: new Date(c.deadline_at).toISOString(),
            warned: true, overdue: true}}); }"""
    beeps = int(page.get_attribute("body", "data-beeps") or 0)
    page.evaluate(overdue_event, case["id"])
    alert = page.locator(f"#alerts [data-alert=overdue][data-case-id='{case['id']}']")
    alert.wait_for()
    assert case["number"] in alert.inner_text() and "超期" in alert.inner_text()
    assert int(page.get_attribute("body", "data-beeps")) == beeps + 1
    # Once is enough: the same event again (a replay) raises nothing.
    page.evaluate(overdue_event.replace("c.version + 1", "c.version"), case["id"])
    assert page.locator(f"#alerts [data-case-id='{case['id']}']").count() == 1
    # Clicking the alert opens the case.
    alert.locator(".alert-open").click()
    page.wait_for_selector(f"#drawer[data-case-id='{case['id']}']")

    # Clicking the case's work grid lists its open cases.
    page.wait_for_function("document.querySelector('#map[data-work-grids]')")
    page.evaluate(
        """id => window.GridCityMap.workGrids.eachLayer(layer => {
            if (layer.feature.properties.id === id) layer.fire("click", {latlng: layer.getCenter()}, true); })""",
        case["work_grid_id"],
    )
    page.wait_for_selector(f"#case-list [data-case-id='{case['id']}']")
    assert "网格" in page.locator("#list-title").inner_text()

    # Sound off: still shown, no beep; the choice survives a reload.
    page.uncheck("#alerts-toggle")
    page.reload()
    page.wait_for_selector("body[data-loaded][data-live=connected]", state="attached")
    assert not page.is_checked("#alerts-toggle")
    other = dispatched_case(live_server, place, urgency="urgent")
    page.wait_for_selector(f"#alerts [data-alert=urgent][data-case-id='{other['id']}']", timeout=3000)
    assert page.get_attribute("body", "data-beeps") is None
    assert problems == []


def test_a_returned_case_leaves_the_unit_portal(create_page, live_server, place):
    case = dispatched_case(live_server, place)
    unit, problems = open_page(create_page, "/unit/", place["handler"])
    card = unit.locator(f"#unit-cases [data-case-id='{case['id']}']")
    card.wait_for()
    handler = session_for(live_server, place["handler"])
    asked = handler.post(
        f"{live_server}/api/v1/cases/{case['id']}/request",
        json={"version": case["version"], "kind": "return", "reason": "不属于本单位"},
    )
    assert asked.status_code == 200, asked.text
    unit.wait_for_selector(f"#unit-cases [data-case-id='{case['id']}'] .badge >> text=待审批申请")
    decided = session_for(live_server, "leader1").post(
        f"{live_server}/api/v1/cases/{case['id']}/decide",
        json={"version": asked.json()["version"], "approve": True},
    )
    assert decided.status_code == 200 and decided.json()["state"] == "filed"
    # The portal's periodic refresh (every 2 minutes; called here) drops it.
    unit.evaluate("window.GridCityUnit.live.refresh()")
    card.wait_for(state="detached", timeout=3000)
    assert problems == []


def test_the_shift_leader_sends_a_checked_case_back_from_the_drawer(create_page, live_server, place):
    case = dispatched_case(live_server, place)
    handler = ApiSession(live_server, place["handler"], PASSWORD).login()
    case = handler.act(case, "unit_accept")
    case = handler.act(case, "handle", photos=[jpeg_bytes()], note="已清理")
    case = (
        ApiSession(live_server, "insp001", PASSWORD)
        .login()
        .act(case, "check", photos=[jpeg_bytes()], result="pass")
    )
    assert case["state"] == "checked"
    unit, unit_problems = open_page(create_page, "/unit/", place["handler"])
    leader, problems = open_page(create_page, "/dispatch/", "leader1")

    leader.click("[data-testid=queue-to_close]")
    leader.click(f"#case-list [data-case-id='{case['id']}']")
    form = leader.locator(f"#drawer[data-case-id='{case['id']}'] [data-action-form=rework]")
    # Checked: the unit's clock stands still, so no time is running out.
    assert "已停止计时" in leader.locator("#drawer .drawer-facts").inner_text()
    form.locator("input[name=reason]").fill("核查照片仍见垃圾")
    form.locator("button[type=submit]").click()
    leader.wait_for_selector(f"#drawer[data-case-id='{case['id']}'][data-state=in_progress]")
    assert leader.locator("#drawer .timeline li[data-action=rework]").count() == 1
    assert "剩余" in leader.locator("#drawer .drawer-facts").inner_text()  # the clock runs again
    assert leader.locator("[data-action-form=close]").count() == 0
    # The unit's open portal has it back to handle, live.
    unit.wait_for_function(
        "id => window.GridCityUnit.live.cases.get(id)?.state === 'in_progress'", arg=case["id"], timeout=3000
    )
    assert problems == [] and unit_problems == []


def test_the_operator_merges_a_report_into_the_same_problem_picked_nearby(create_page, live_server, place):
    # 20 m from where the other tests report: this pair are each other's nearest.
    spot = {**place, "lon": place["lon"] + 0.0002}
    first = report(session_for(live_server, "insp001"), live_server, spot)
    second = report(session_for(live_server, "insp001"), live_server, spot, description="同一处垃圾")
    operator, problems = open_page(create_page, "/dispatch/", "operator1")
    operator.click("[data-testid=queue-to_accept]")
    # The queue's list opens right under the queue clicked ...
    assert operator.evaluate(
        "() => document.querySelector('[data-testid=queue-to_accept]').closest('li')"
        ".nextElementSibling.contains(document.getElementById('case-list'))"
    )
    # ... and stays where it was scrolled when a case is opened and when live changes redraw it.
    operator.add_style_tag(content=".case-list .item-list { max-height: 3.5em; }")
    item = f"#case-list [data-case-id='{second['id']}']"
    top = operator.evaluate(
        "sel => { const b = document.querySelector(sel); b.scrollIntoView({block: 'end'});"
        " return document.querySelector('#case-list ul').scrollTop; }",
        item,
    )
    count = int(operator.get_attribute("#case-list", "data-count"))
    assert count >= 2
    operator.click(item)
    operator.wait_for_selector(f"#drawer[data-case-id='{second['id']}']")
    report(session_for(live_server, "insp001"), live_server, place, description="又一处")
    operator.wait_for_function("n => Number(document.getElementById('case-list').dataset.count) > n", arg=count)
    assert operator.evaluate("() => document.querySelector('#case-list ul').scrollTop") == top
    assert operator.get_attribute(item, "aria-current") == "true"
    # The main map has come to the case.
    operator.wait_for_function(
        """([lon, lat]) => { const m = window.GridCityDispatch.map, c = m.getCenter();
                             return m.getZoom() >= 16 && Math.abs(c.lng - lon) < 1e-4 && Math.abs(c.lat - lat) < 1e-4; }""",
        arg=[second["lon"], second["lat"]],
        timeout=3000,
    )
    # The category's standards stand beside the decision.
    standards = operator.locator("#drawer .drawer-actions [data-testid=standards]").inner_text()
    assert "立案标准" in standards and "结案标准" in standards and "垃圾" in standards

    # The merge takes a case number: a wrong one is refused in words, the nearby one is picked.
    picker = operator.locator(
        f"#drawer[data-case-id='{second['id']}'] [data-action-form=merge] select[name=into]"
    )
    nearest = picker.locator("option").first
    assert nearest.get_attribute("value") == first["number"] and first["number"] in nearest.inner_text()
    operator.fill("[data-action-form=merge] input[name=into_number]", "209901019999")
    operator.click("[data-action-form=merge] button[type=submit]")
    operator.wait_for_selector("[data-drawer-message].drawer-message-error")
    assert "没有编号为 209901019999 的案卷" in operator.locator("[data-drawer-message]").inner_text()
    operator.fill("[data-action-form=merge] input[name=into_number]", "")
    picker.select_option(first["number"])
    operator.click("[data-action-form=merge] button[type=submit]")
    operator.wait_for_selector(f"#drawer[data-case-id='{second['id']}'][data-state=merged]")
    merged = session_for(live_server, "operator1").get(f"{live_server}/api/v1/cases/{second['id']}").json()
    assert merged["history"][-1]["action"] == "merge" and merged["state"] == "merged"
    assert merged["merged_into_id"] == first["id"]
    assert [p for p in problems if "status of 404" not in p] == []


def test_a_resync_notice_brings_back_what_the_server_could_not_send(
    create_page, create_server, live_server, place
):
    """A process that had to drop events (a full publishing queue, its message
    queue back after an outage) tells its sockets to resync; the map fetches
    what it missed without a reconnect or a reload."""
    redis_url = os.environ.get("GRIDCITY_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
    channel = f"test-resync-{uuid.uuid4().hex[:8]}"
    server = create_server(redis_url=redis_url, socketio_channel=channel)
    page, problems = open_page(create_page, "/dispatch/", "dispatcher2", server=server)
    before = page.evaluate("window.GridCityDispatch.live.cases.size")
    resyncs = int(page.get_attribute("body", "data-resyncs") or 0)
    # Reports taken by a process whose events never reach this page's server.
    inspector = session_for(live_server, "insp001")
    made = [report(inspector, live_server, place)["id"] for _ in range(3)]
    page.wait_for_timeout(500)
    assert page.evaluate("window.GridCityDispatch.live.cases.size") == before

    socketio.RedisManager(redis_url, channel=channel, write_only=True).emit(
        "resync", {"after": None}, namespace="/"
    )
    page.wait_for_function("n => Number(document.body.dataset.resyncs || 0) > n", arg=resyncs, timeout=5000)
    page.wait_for_function(
        "ids => ids.every(id => window.GridCityDispatch.markers.has(id))", arg=made, timeout=5000
    )
    assert page.evaluate("window.GridCityDispatch.live.cases.size") == before + 3
    assert page.evaluate("performance.getEntriesByType('navigation').length") == 1
    assert page.get_attribute("body", "data-live") == "connected"
    assert problems == []
