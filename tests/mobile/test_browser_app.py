"""The inspectors' app in headless Chromium on a 360×640 phone, against the real
server (``gridcity serve``) over the demo city, with a mocked GPS.

Screenshots of every step go to ``test-artifacts/m-*.png`` (not in the repo).
"""

from __future__ import annotations

import io
import json
import re
import time

import pytest
from PIL import Image

from gridcity.extensions import db
from gridcity.geo.services import locate
from tests.mobile.phone import (
    ARTIFACTS,
    PASSWORD,
    PHONE,
    axe_violations,
    cases_by_description,
    fill_report,
    grid_point,
    handler_of,
    only_inspector_on_duty,
    outbox_count,
    photo_file,
    sign_in,
    wait_map,
    wait_ready,
)

pytestmark = pytest.mark.browser


def test_report_with_gps_and_a_photo_reaches_the_right_grid(phone, demo_app, create_client, tmp_path):
    position = grid_point(demo_app, "insp001", create_client)
    with demo_app.app_context():
        expected = locate(*position)
        db.session.remove()
    context, page, problems = phone(position)
    sign_in(page, "insp001")
    page.wait_for_function("document.querySelector('#gps-status').textContent.includes('±8')")
    page.wait_for_function(
        "code => document.querySelector('#grid-line').textContent.includes(code)", arg=expected.unit_grid_code
    )
    page.wait_for_selector(f"#minimap[data-grid='{expected.unit_grid_code}']", state="attached")
    assert page.locator("#minimap .leaflet-marker-icon").count() == 1
    page.screenshot(path=ARTIFACTS / "m-report-1-position.png")

    # Pinyin initials find 暴露垃圾 (E0102).
    page.fill("#category-search", "bllj")
    assert page.locator("#category-list button[data-code=E0102]").is_visible()
    page.screenshot(path=ARTIFACTS / "m-report-2-category.png")
    fill_report(page, "bllj", "E0102", "路口暴露垃圾，约两平方米", photo_file(tmp_path))
    assert page.get_by_test_id("category-chosen").inner_text().startswith("暴露垃圾")
    page.locator("label.radio", has_text="紧急").click()
    assert page.is_checked("input[name=urgency][value=urgent]")
    page.screenshot(path=ARTIFACTS / "m-report-3-filled.png", full_page=True)
    page.click("#report-submit")

    receipt = page.locator("#receipt")
    receipt.wait_for(state="visible")
    number = page.get_by_test_id("receipt-number").inner_text()
    assert page.get_by_test_id("receipt-unit-grid").inner_text() == expected.unit_grid_code
    assert page.get_by_test_id("receipt-work-grid").inner_text().startswith("WG")
    assert page.get_by_test_id("receipt-unit").inner_text()  # the rules' unit, or "the dispatcher decides"
    page.screenshot(path=ARTIFACTS / "m-report-4-receipt.png", full_page=True)
    assert outbox_count(page) == 0
    assert axe_violations(page) == []
    # Signed in with "keep me signed in": the session outlives the browser for weeks.
    (session,) = [c for c in context.cookies() if c["name"] == "session"]
    assert session["expires"] > time.time() + 29 * 86400

    api = create_client("insp001")
    (summary,) = cases_by_description(api, "路口暴露垃圾")
    case = api.get(f"/api/v1/cases/{summary['id']}").get_json()
    assert case["number"] == number and case["category"]["code"] == "E0102" and case["urgency"] == "urgent"
    assert case["unit_grid_code"] == expected.unit_grid_code and case["work_grid_id"] == expected.work_grid_id
    assert case["lon"] == pytest.approx(position[0]) and case["raw_position"]["lon"] == pytest.approx(
        position[0]
    )
    assert case["accuracy_m"] == 8
    (photo,) = case["photos"]
    assert photo["stage"] == "report" and (photo["width"], photo["height"]) == (
        2048,
        1365,
    )  # resized on the phone
    image = api.get(photo["url"])
    assert Image.open(io.BytesIO(image.get_data())).size == (2048, 1365)
    image.close()

    # The same problem again: the answer lists the first case; "it's the same" leaves the operator a note.
    page.click("text=继续上报")
    fill_report(page, "bllj", "E0102", "同一处垃圾再次上报", photo_file(tmp_path, "again.jpg", (800, 600)))
    page.click("#report-submit")
    duplicate = page.locator(f"[data-testid=duplicates] li[data-case-id='{case['id']}']")
    duplicate.wait_for()
    page.screenshot(path=ARTIFACTS / "m-report-5-duplicate.png", full_page=True)
    duplicate.get_by_role("button", name="是同一问题").click()
    duplicate.get_by_text("已标记为同一问题").wait_for()
    (second,) = cases_by_description(api, "同一处垃圾再次上报")
    history = api.get(f"/api/v1/cases/{second['id']}").get_json()["history"]
    assert history[-1]["action"] == "same_as" and history[-1]["data"]["same_as_id"] == case["id"]
    assert problems == []


def test_dragging_the_marker_corrects_the_position_beside_the_raw_fix(
    phone, demo_app, create_client, tmp_path
):
    position = grid_point(demo_app, "insp002", create_client)
    context, page, problems = phone(position)
    sign_in(page, "insp002")
    page.wait_for_selector("#minimap .leaflet-marker-icon")
    marker = page.locator("#minimap .leaflet-marker-icon").bounding_box()
    x, y = marker["x"] + marker["width"] / 2, marker["y"] + marker["height"] - 4
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + 40, y + 10, steps=8)
    page.mouse.up()
    page.wait_for_function("document.querySelector('#gps-status').textContent.includes('校正')")
    assert page.locator("#use-gps").is_visible()
    fill_report(page, "E0102", "E0102", "拖动校正位置的上报", photo_file(tmp_path, size=(800, 600)))
    page.click("#report-submit")
    page.locator("#receipt").wait_for(state="visible")
    (summary,) = cases_by_description(create_client("insp002"), "拖动校正位置")
    assert summary["lon"] > position[0] + 1e-5 and summary["lat"] < position[1]
    case = create_client("insp002").get(f"/api/v1/cases/{summary['id']}").get_json()
    assert case["raw_position"] == {"lon": pytest.approx(position[0]), "lat": pytest.approx(position[1])}
    assert problems == []


def test_offline_reports_wait_in_the_outbox_and_are_sent_exactly_once(
    phone, demo_app, create_client, tmp_path
):
    position = grid_point(demo_app, "insp003", create_client)
    context, page, problems = phone(position)
    sign_in(page, "insp003")
    wait_map(page)
    context.set_offline(True)
    page.wait_for_selector("#net-status[data-online='0']")
    for n in (1, 2):
        fill_report(page, "E0102", "E0102", f"离线上报{n}号", photo_file(tmp_path, f"p{n}.jpg", (800, 600)))
        page.click("#report-submit")
        page.wait_for_function(f"document.body.dataset.outbox === '{n}'")
        # Said at the form, which is empty again for the next report.
        page.wait_for_selector("#report-status:has-text('已存入发件箱')")
        assert page.locator("#category-picker").is_visible() and page.input_value("#description") == ""
    page.click("#nav-outbox")
    items = page.locator("#outbox-list li[data-kind=report]")
    assert items.count() == 2
    assert all(s == "等待发送" for s in items.locator(".state").all_inner_texts())
    page.screenshot(path=ARTIFACTS / "m-offline-outbox.png", full_page=True)
    assert cases_by_description(create_client("insp003"), "离线上报") == []

    context.set_offline(False)  # the `online` event sends them
    page.wait_for_function("document.body.dataset.outbox === '0'", timeout=20000)
    assert page.locator("#outbox-empty").is_visible()
    assert page.locator("#sent-list li").count() == 2
    page.screenshot(path=ARTIFACTS / "m-offline-sent.png", full_page=True)
    api = create_client("insp003")
    for n in (1, 2):
        assert len(cases_by_description(api, f"离线上报{n}号")) == 1
    # "Send now" with nothing waiting sends nothing more.
    page.click("#send-now")
    page.wait_for_timeout(500)
    assert len(cases_by_description(api, "离线上报")) == 2
    assert problems == []


def test_a_report_queued_when_the_page_died_is_sent_when_the_app_reopens(
    phone, demo_app, create_client, tmp_path
):
    position = grid_point(demo_app, "insp004", create_client)
    context, page, problems = phone(position)
    sign_in(page, "insp004")
    wait_map(page)
    context.set_offline(True)
    page.wait_for_selector("#net-status[data-online='0']")
    fill_report(page, "E0102", "E0102", "页面关闭前排队的上报", photo_file(tmp_path, size=(800, 600)))
    page.click("#report-submit")
    page.wait_for_function("document.body.dataset.outbox === '1'")
    page.close()  # killed between queueing and sending

    context.set_offline(False)
    page = context.new_page()
    page.goto("/m/#outbox")
    wait_ready(page)
    page.wait_for_function("document.body.dataset.outbox === '0'", timeout=20000)
    assert len(cases_by_description(create_client("insp004"), "页面关闭前排队")) == 1
    assert problems == []


def multipart(data: dict, photos=()) -> dict:
    files = [(io.BytesIO(p), f"p{n}.jpg") for n, p in enumerate(photos)]
    return {"data": {"data": json.dumps(data), "photos": files}, "content_type": "multipart/form-data"}


def jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 30)).save(buffer, "JPEG")
    return buffer.getvalue()


def test_inspector_completes_a_verify_and_a_check_task(phone, demo_app, create_client, tmp_path):
    position = grid_point(demo_app, "insp005", create_client)
    only_inspector_on_duty(demo_app, "insp005")
    op, lead, disp = create_client("operator1"), create_client("leader1"), create_client("dispatcher1")
    # A public report: the operator accepts it and a verify task (核实) goes to the grid's inspector.
    near = (position[0] + 0.0003, position[1])
    public = op.post("/api/v1/reports", json={"category": "E0102", "lon": near[0], "lat": near[1],
                                              "source": "hotline", "description": "热线：路边垃圾"}).get_json()  # fmt: skip
    public = op.post(f"/api/v1/cases/{public['id']}/accept", json={"version": public["version"]}).get_json()
    assert public["state"] == "verifying"
    # A case handled by its unit: a check task (核查) follows.
    found = (
        create_client("insp005")
        .post(
            "/api/v1/reports",
            **multipart(
                {
                    "category": "C0101",
                    "lon": position[0],
                    "lat": position[1],
                    "description": "井盖破损待核查",
                },
                [jpeg()],
            ),  # fmt: skip
        )
        .get_json()
    )
    found = op.post(f"/api/v1/cases/{found['id']}/accept", json={"version": found["version"]}).get_json()
    found = lead.post(f"/api/v1/cases/{found['id']}/file", json={"version": found["version"]}).get_json()
    found = disp.post(f"/api/v1/cases/{found['id']}/dispatch", json={"version": found["version"]}).get_json()
    unit = create_client(handler_of(demo_app, found["unit"]["id"]))
    found = unit.post(
        f"/api/v1/cases/{found['id']}/unit_accept", json={"version": found["version"]}
    ).get_json()
    found = unit.post(
        f"/api/v1/cases/{found['id']}/handle", **multipart({"version": found["version"]}, [jpeg()])
    )
    found = found.get_json()
    assert found["state"] == "handled"
    with demo_app.app_context():  # the sweeper would mark it: the check is overdue
        from gridcity.cases.models import CaseTask

        db.session.get(CaseTask, found["tasks"][-1]["id"]).overdue = True
        db.session.commit()
        db.session.remove()

    context, page, problems = phone(position)
    sign_in(page, "insp005")
    page.click("#nav-tasks")
    page.wait_for_selector("#task-list li[data-task-id]")
    tasks = page.locator("#task-list li[data-task-id]")
    assert tasks.count() == 2
    assert tasks.nth(0).get_attribute("data-kind") == "check"  # nearest first: the check is right here
    assert re.search(r"\d+ m", tasks.nth(1).inner_text())
    assert tasks.locator(".overdue").count() == 1 and "已超时" in tasks.nth(0).inner_text()
    page.screenshot(path=ARTIFACTS / "m-tasks-list.png")

    page.locator("#task-list li[data-kind=verify] button").click()
    page.wait_for_selector("#task-pass")
    page.fill("#task-note", "现场核实属实")
    page.screenshot(path=ARTIFACTS / "m-tasks-verify.png", full_page=True)
    page.click("#task-pass")
    page.wait_for_function("document.querySelectorAll('#task-list li[data-task-id]').length === 1")
    verified = op.get(f"/api/v1/cases/{public['id']}").get_json()
    assert verified["state"] == "accepted" and verified["history"][-1]["note"] == "现场核实属实"
    assert verified["history"][-1]["lon"] == pytest.approx(position[0])

    page.locator("#task-list li[data-kind=check] button").click()
    page.wait_for_selector("#task-pass")
    assert page.locator(".case-photos img").count() == 2  # the report photo and the unit's proof
    page.click("#task-pass")
    assert page.locator("#task-error").inner_text() == "核查需要一张新的现场照片。"
    page.set_input_files("#task-photo", str(photo_file(tmp_path, "check.jpg", (1200, 900))))
    page.wait_for_selector("#task-photo-list img")
    # Failing a check needs the reason for rework: asked for at the field,
    # nothing sent; typing clears the message.
    page.click("#task-fail")
    assert page.locator("#task-note-error").inner_text() == "核查不通过，请填写返工原因。"
    assert page.evaluate("document.activeElement.id") == "task-note"
    page.screenshot(path=ARTIFACTS / "m-tasks-check-reason.png", full_page=True)
    page.type("#task-note", "好")
    assert page.locator("#task-note-error").is_hidden()
    page.fill("#task-note", "")
    page.screenshot(path=ARTIFACTS / "m-tasks-check.png", full_page=True)
    assert axe_violations(page) == []
    page.click("#task-pass")
    page.wait_for_selector("#task-list li.muted")
    checked = op.get(f"/api/v1/cases/{found['id']}").get_json()
    assert checked["state"] == "checked"
    assert [p["stage"] for p in checked["photos"]] == ["report", "handle", "check"]
    assert problems == []


def test_patrol_records_the_track_and_tags_the_finding(phone, demo_app, create_client, tmp_path):
    start = grid_point(demo_app, "insp006", create_client)
    path = [(start[0] + n * 0.0012, start[1]) for n in range(4)]
    context, page, problems = phone(path[0])
    sign_in(page, "insp006")
    page.click("#nav-patrol")
    page.locator("label.radio", has_text="夜间巡查").click()
    page.select_option("#patrol-interval", "5")
    page.click("#patrol-start-button")
    page.wait_for_selector("#patrol-running:not([hidden])")
    page.wait_for_function("document.querySelector('#patrol-points').textContent === '1'")
    for n, point in enumerate(path[1:], start=2):
        context.set_geolocation({"longitude": point[0], "latitude": point[1], "accuracy": 10})
        page.wait_for_function(
            f"document.querySelector('#patrol-points').textContent === '{n}'", timeout=15000
        )
    page.screenshot(path=ARTIFACTS / "m-patrol-running.png")

    page.click("#nav-report")
    assert page.locator("#patrol-banner").is_visible()
    fill_report(page, "E0102", "E0102", "夜间巡查发现的垃圾", photo_file(tmp_path, size=(800, 600)))
    page.click("#report-submit")
    page.locator("#receipt").wait_for(state="visible")

    page.click("#nav-patrol")
    page.click("#patrol-stop")
    page.click("#patrol-stop-confirm")  # ending asks first
    page.wait_for_selector("[data-testid=patrol-grids]")
    assert page.get_by_test_id("patrol-findings").inner_text() == "1"
    page.screenshot(path=ARTIFACTS / "m-patrol-stopped.png")

    api = create_client("insp006")
    (summary,) = api.get("/api/v1/patrols?state=ended").get_json()
    patrol = api.get(f"/api/v1/patrols/{summary['id']}").get_json()
    assert patrol["kind"] == "night" and patrol["interval_s"] == 5 and not patrol["running"]
    coords = patrol["track"]["coordinates"]
    assert (
        len(coords) >= 4
        and coords[0] == pytest.approx(list(path[0]))
        and coords[-1] == pytest.approx(list(path[-1]))
    )
    assert len(patrol["unit_grids"]) >= 4 and patrol["distance_m"] > 300
    (finding,) = patrol["findings"]
    assert finding["description"] == "夜间巡查发现的垃圾" and finding["patrol_id"] == patrol["id"]
    assert finding["source"] == "patrol"
    assert page.get_by_test_id("patrol-grids").inner_text() == str(len(patrol["unit_grids"]))
    assert problems == []


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_tab_passes_axe_and_logs_no_error(phone, demo_app, create_client, lang):
    position = grid_point(demo_app, "insp007", create_client)
    context, page, problems = phone(position, lang=lang)
    sign_in(page, "insp007")
    page.wait_for_selector("#minimap[data-grid]", state="attached")
    assert page.locator("html").get_attribute("lang") == ("zh-CN" if lang == "zh" else "en")
    assert page.locator("#report-submit").inner_text() == ("提交上报" if lang == "zh" else "Send report")
    found = {}
    for tab in ("report", "tasks", "patrol", "month", "outbox"):
        page.click(f"#nav-{tab}")
        if tab == "month":
            page.wait_for_selector("[data-testid=month-reports]")
        if tab == "tasks":
            page.wait_for_selector("#task-list li")
        found[tab] = axe_violations(page)
        page.screenshot(path=ARTIFACTS / f"m-{tab}-{lang}.png")
        # Every control a thumb uses is at least 44 px tall.
        small = page.evaluate(
            """() => [...document.querySelectorAll('button, input:not([type=file]), select, textarea, label.button')]
                .filter(e => e.offsetParent !== null && !e.closest('.leaflet-container'))
                .filter(e => { const r = e.getBoundingClientRect(); return r.height < 44 && e.type !== 'radio'; })
                .map(e => e.id || e.textContent.trim())"""
        )
        assert small == [], f"{tab}: small tap targets {small}"
    assert found == {tab: [] for tab in found}
    # Nothing wider than the phone.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert problems == []


def test_an_expired_session_asks_to_sign_in_and_keeps_the_report(
    phone, demo_app, create_client, live_server, tmp_path
):
    position = grid_point(demo_app, "insp008", create_client)
    context, page, problems = phone(position)
    sign_in(page, "insp008")
    wait_map(page)  # an answer still on its way would renew the cookie
    # The session ran out: the phone still holds a cookie, the server no longer accepts it.
    context.add_cookies([{"name": "session", "value": "expired", "url": live_server}])
    fill_report(page, "E0102", "E0102", "会话过期时的上报", photo_file(tmp_path, size=(800, 600)))
    page.click("#report-submit")
    page.wait_for_selector("#signin[open]")
    assert outbox_count(page) == 1
    page.screenshot(path=ARTIFACTS / "m-signin-again.png")
    page.fill("#signin-password", PASSWORD)
    page.click("#signin-submit")
    page.wait_for_function("document.body.dataset.outbox === '0'", timeout=20000)
    assert len(cases_by_description(create_client("insp008"), "会话过期时")) == 1
    assert [p for p in problems if "status of 401" not in p] == []


def test_installed_app_starts_without_signal(phone, demo_app, create_client):
    position = grid_point(demo_app, "insp009", create_client)
    context, page, problems = phone(position, service_workers="allow")
    sign_in(page, "insp009")
    wait_map(page)  # the first locate has answered: no request of the online page is cut mid-flight
    manifest = page.evaluate("fetch('/m/manifest.webmanifest').then(r => r.json())")
    assert manifest["start_url"] == "/m/" and manifest["display"] == "standalone"
    page.wait_for_function(
        "navigator.serviceWorker.controller !== null || navigator.serviceWorker.ready", timeout=15000
    )
    page.evaluate("navigator.serviceWorker.ready")
    page.wait_for_function(
        """async () => { const c = await caches.keys(); if (!c.length) return false;
             const cache = await caches.open(c[0]);
             return !!(await cache.match('/m/')) && !!(await cache.match('/static/vendor/leaflet-1.9.4/leaflet.js')); }""",
        timeout=15000,
    )
    context.set_offline(True)
    page.reload()
    wait_ready(page)
    page.wait_for_selector("#net-status[data-online='0']")
    page.wait_for_selector("#minimap .leaflet-marker-icon")  # Leaflet from the cache too
    page.screenshot(path=ARTIFACTS / "m-offline-start.png")
    assert [p for p in problems if "ERR_INTERNET_DISCONNECTED" not in p] == [], problems


def test_a_busy_server_s_503_keeps_the_report_and_its_retry_after_is_kept(
    phone, demo_app, create_client, tmp_path
):
    position = grid_point(demo_app, "insp006", create_client)
    context, page, problems = phone(position)
    sign_in(page, "insp006")
    wait_map(page)
    attempts: list[float] = []

    def busy_once(route):
        attempts.append(time.monotonic())
        if len(attempts) > 1:
            route.continue_()
            return
        body = {"error": "intake_overloaded", "message": "服务器繁忙，暂未受理这次上报，请在 2 秒后重试。"}
        route.fulfill(status=503, headers={"Retry-After": "2"}, json=body)

    page.route("**/api/v1/reports", busy_once)
    fill_report(page, "E0102", "E0102", "服务器繁忙时的上报", photo_file(tmp_path, size=(800, 600)))
    page.click("#report-submit")
    page.wait_for_function("document.body.dataset.outbox === '1'")
    # Kept, waiting (not refused), and sent again by itself once Retry-After has passed.
    page.wait_for_function("document.body.dataset.outbox === '0'", timeout=10000)
    assert len(attempts) == 2 and attempts[1] - attempts[0] >= 1.9
    assert len(cases_by_description(create_client("insp006"), "服务器繁忙时")) == 1
    assert [p for p in problems if "status of 503" not in p] == []


def test_a_password_reset_by_the_admin_is_changed_at_sign_in_and_the_report_still_goes(
    phone, demo_app, create_client, live_server, tmp_path
):
    position = grid_point(demo_app, "insp031", create_client)
    context, page, problems = phone(position)
    sign_in(page, "insp031")
    wait_map(page)
    me = create_client("insp031").get("/api/v1/me").get_json()
    admin = create_client("admin")
    reset = admin.post(f"/api/v1/users/{me['id']}/reset-password", json={"password": "Temp-insp031-2026"})
    assert reset.status_code == 200, reset.get_json()
    # The reset ended the phone's session; a report made meanwhile waits in the outbox.
    fill_report(page, "E0102", "E0102", "管理员重置密码后的上报")
    page.click("#report-submit")
    page.wait_for_selector("#signin[open]")
    page.fill("#signin-password", "Temp-insp031-2026")
    page.click("#signin-submit")
    # The new password is chosen before anything else, then the app comes back and sends.
    page.wait_for_url("**/account/password**")
    page.get_by_test_id("must-change").wait_for()
    page.fill("#old_password", "Temp-insp031-2026")
    page.fill("#new_password", "Mine-insp031-2026")
    page.fill("#repeat_password", "Mine-insp031-2026")
    page.get_by_test_id("password-form").locator("button[type=submit]").click()
    page.wait_for_url("**/m/**")
    page.wait_for_function("document.body.dataset.outbox === '0'", timeout=20000)
    mine = create_client().post(
        "/api/v1/login", json={"username": "insp031", "password": "Mine-insp031-2026"}
    )
    assert mine.status_code == 200
    assert len(cases_by_description(create_client("admin"), "管理员重置密码后的上报")) == 1
    assert [p for p in problems if "status of 401" not in p and "status of 403" not in p] == []
