"""An inspector's day in the app (issue 16, build items 2–5), in headless
Chromium on a 360×640 phone against the real server over the demo city:
我的上报 following a case live, a task with its place and labelled photos, the
patrol map with a confirm before ending, and our own words where the browser
would speak the phone's language.

Screenshots go to ``test-artifacts/m-*.png`` (not in the repo).
"""

from __future__ import annotations

import io
import json
import re

import pytest
from PIL import Image

from tests.mobile.phone import (
    ARTIFACTS,
    PHONE,
    axe_violations,
    grid_point,
    handler_of,
    only_inspector_on_duty,
    sign_in,
)

pytestmark = pytest.mark.browser


def multipart(data: dict, photos=()) -> dict:
    files = [(io.BytesIO(p), f"p{n}.jpg") for n, p in enumerate(photos)]
    return {"data": {"data": json.dumps(data), "photos": files}, "content_type": "multipart/form-data"}


def jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 30)).save(buffer, "JPEG")
    return buffer.getvalue()


def ok(response, status=200) -> dict:
    assert response.status_code == status, response.get_json()
    return response.get_json()


def report_as(client, position, description: str, category="C0101") -> dict:
    data = {"category": category, "lon": position[0], "lat": position[1], "description": description}
    return ok(client.post("/api/v1/reports", **multipart(data, [jpeg()])), 201)


def file_and_dispatch(create_client, case: dict) -> dict:
    """The center takes an inspector's report up: accepted, filed, dispatched."""
    case = ok(
        create_client("operator1").post(
            f"/api/v1/cases/{case['id']}/accept", json={"version": case["version"]}
        )
    )
    case = ok(
        create_client("leader1").post(f"/api/v1/cases/{case['id']}/file", json={"version": case["version"]})
    )
    return ok(create_client("dispatcher1").post(f"/api/v1/cases/{case['id']}/dispatch", json={"version": case["version"]}))  # fmt: skip


def test_my_reports_follow_the_case_live_and_show_its_history_and_photos(phone, demo_app, create_client):
    position = grid_point(demo_app, "insp021", create_client)
    mine = report_as(create_client("insp021"), position, "我的上报：井盖缺失")
    context, page, problems = phone(position)
    sign_in(page, "insp021")
    page.click("#nav-outbox")
    assert page.locator("#nav-outbox").inner_text().startswith("我的上报")
    row = page.locator(f"#mine-list li[data-case-id='{mine['id']}']")
    row.wait_for()
    assert "已上报" in row.inner_text() and "尚未派遣" in row.inner_text()
    assert "reported" not in row.inner_text()

    # The center dispatches it: the list follows without a reload.
    case = file_and_dispatch(create_client, mine)
    page.wait_for_selector(
        f"#mine-list li[data-case-id='{mine['id']}'][data-state=dispatched]", timeout=10000
    )
    text = row.inner_text()
    assert "已派遣" in text and case["unit"]["name"] in text and "处置时限" in text
    assert not re.search(r"dispatched|_id|\bunit\b", text)
    page.screenshot(path=ARTIFACTS / "m-mine-list.png")

    row.locator("button").click()
    page.wait_for_selector("#mine-history li")
    history = page.locator("#mine-history").inner_text()
    assert "派遣" in history and "dispatch" not in history
    assert page.locator("#mine-state").inner_text() == "已派遣"
    assert page.locator(".photo-group[data-stage=report] h4").inner_text() == "上报照片"
    page.wait_for_function(
        "[...document.querySelectorAll('.photo-group img')].every(i => i.complete && i.naturalWidth)"
    )
    assert page.locator(".photo-group img").count() == 1
    page.screenshot(path=ARTIFACTS / "m-mine-detail.png", full_page=True)
    assert axe_violations(page) == []
    page.click("#mine-back")
    assert page.locator("#mine-list").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert [p for p in problems if "status of 304" not in p] == []


def test_a_check_task_shows_labelled_photos_the_place_its_distance_and_a_navigate_link(
    phone, demo_app, create_client
):
    position = grid_point(demo_app, "insp022", create_client)
    only_inspector_on_duty(demo_app, "insp022")
    place = (position[0] + 0.0009, position[1])  # about 90 m east
    case = file_and_dispatch(create_client, report_as(create_client("insp022"), place, "待核查的井盖"))
    unit = create_client(handler_of(demo_app, case["unit"]["id"]))
    case = ok(unit.post(f"/api/v1/cases/{case['id']}/unit_accept", json={"version": case["version"]}))
    case = ok(
        unit.post(f"/api/v1/cases/{case['id']}/handle", **multipart({"version": case["version"]}, [jpeg()]))
    )
    assert case["state"] == "handled"

    context, page, problems = phone(position)
    sign_in(page, "insp022")
    page.click("#nav-tasks")
    page.locator(f"#task-list li[data-kind=check] button:has-text('{case['number']}')").click()
    page.wait_for_selector("#task-map[data-ready] .leaflet-marker-icon")
    assert page.locator(".photo-group[data-stage=report] h4").inner_text() == "上报照片"
    assert page.locator(".photo-group[data-stage=handle] h4").inner_text() == "处置照片"
    assert page.locator(".photo-group[data-stage=report] img").count() == 1
    assert page.locator(".photo-group[data-stage=handle] img").count() == 1
    distance = page.locator("#task-distance").inner_text()
    metres = int(re.fullmatch(r"距您约 (\d+) m", distance).group(1))
    assert 70 < metres < 110
    lat, lon = f"{place[1]:.6f}", f"{place[0]:.6f}"
    href = page.get_attribute("#task-navigate", "href")
    assert href == f"geo:{lat},{lon}?q={lat},{lon}({case['number']})"
    assert page.locator("#task-navigate").inner_text() == "导航前往"
    page.wait_for_selector("#task-map .leaflet-interactive", state="attached")  # where I am
    page.screenshot(path=ARTIFACTS / "m-task-place.png", full_page=True)
    assert axe_violations(page) == []
    assert problems == []


def test_the_patrol_map_draws_the_track_and_grids_and_ending_asks_first(phone, demo_app, create_client):
    start = grid_point(demo_app, "insp023", create_client)
    context, page, problems = phone(start)
    sign_in(page, "insp023")
    page.click("#nav-patrol")
    page.select_option("#patrol-interval", "5")
    page.click("#patrol-start-button")
    page.wait_for_selector("#patrol-map[data-track='1']")
    context.set_geolocation({"longitude": start[0] + 0.0015, "latitude": start[1], "accuracy": 10})
    page.wait_for_selector("#patrol-map[data-track='2']", timeout=10000)
    page.wait_for_function("Number(document.querySelector('#patrol-map').dataset.grids) >= 2", timeout=10000)
    assert int(page.locator("#patrol-grids-so-far").inner_text()) >= 2
    assert page.locator("#patrol-map path").count() >= 3  # the track and the covered grids
    page.screenshot(path=ARTIFACTS / "m-patrol-map.png")

    # A reload keeps the running patrol and its track on the map.
    page.reload()
    page.wait_for_selector("#patrol-map[data-track='2']")
    assert page.locator("#patrol-running").is_visible()

    # Ending asks first, in our words; "keep patrolling" keeps it running.
    page.click("#patrol-stop")
    dialog = page.locator("#patrol-stop-dialog")
    assert dialog.is_visible() and dialog.locator("h2").inner_text() == "结束本次巡查？"
    page.screenshot(path=ARTIFACTS / "m-patrol-confirm.png")
    assert axe_violations(page) == []
    page.click("#patrol-stop-cancel")
    assert not dialog.is_visible() and page.locator("#patrol-running").is_visible()
    page.click("#patrol-stop")
    page.click("#patrol-stop-confirm")
    page.wait_for_selector("[data-testid=patrol-grids]")
    assert page.locator("#patrol-running").is_hidden()
    (ended,) = ok(create_client("insp023").get("/api/v1/patrols?state=ended"))
    assert ended["point_count"] >= 2
    assert problems == []


@pytest.mark.parametrize(
    ("lang", "need_username", "need_password", "month_name"),
    [
        ("zh", "请输入用户名。", "请输入密码。", r"^\d{4}年\d{1,2}月$"),
        ("en", "Please enter your user name.", "Please enter your password.", r"^[A-Z][a-z]+ \d{4}$"),
    ],
    ids=["zh", "en"],
)
def test_sign_in_and_the_month_picker_speak_the_page_language(
    phone, demo_app, create_client, lang, need_username, need_password, month_name
):
    position = grid_point(demo_app, "insp024", create_client)
    context, page, problems = phone(position, lang=lang)  # the phone itself is zh-CN
    sign_in(page, "insp024")
    assert page.locator("input[type=month]").count() == 0

    page.evaluate("GCM.askToSignIn()")
    form = page.locator("#signin-form")
    assert form.get_attribute("novalidate") is not None
    page.fill("#signin-username", "")
    page.click("#signin-submit")
    assert page.locator("#signin-username-error").inner_text() == need_username
    assert page.locator("#signin-password-error").inner_text() == need_password
    assert page.locator("#signin-username").get_attribute("aria-invalid") == "true"
    assert page.evaluate("document.activeElement.id") == "signin-username"
    page.screenshot(path=ARTIFACTS / f"m-signin-messages-{lang}.png")
    page.fill("#signin-username", "insp024")
    assert page.locator("#signin-username-error").is_hidden()
    page.click("#signin-later")

    page.click("#nav-month")
    page.wait_for_selector("#month-select option", state="attached")
    options = page.locator("#month-select option").all_inner_texts()
    assert len(options) == 12 and all(re.match(month_name, o) for o in options)
    this_month = page.input_value("#month-select")
    assert page.locator("#month-next").is_disabled()
    page.click("#month-prev")
    page.wait_for_function(f"document.querySelector('#month-select').value !== '{this_month}'")
    assert page.locator("#month-title").inner_text() == options[1]
    assert page.locator("#month-next").is_enabled()
    page.screenshot(path=ARTIFACTS / f"m-month-picker-{lang}.png")
    assert axe_violations(page) == []
    assert problems == []
