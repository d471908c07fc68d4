"""The report draft in the inspectors' app (issue 16, defects 1–4), on a 360×640
phone against the real server: the back button and a killed page lose nothing,
a position placed by hand without GPS, 发送中 while a slow network sends,
errors at their field.

Screenshots go to ``test-artifacts/m-draft-*.png`` (not in the repo)."""

from __future__ import annotations

import pytest

from gridcity.extensions import db
from gridcity.geo.services import locate
from tests.mobile.phone import (
    ARTIFACTS,
    PASSWORD,
    PHONE,
    cases_by_description,
    fill_report,
    grid_point,
    photo_file,
    sign_in,
    wait_ready,
)

pytestmark = pytest.mark.browser
TABBAR_HEIGHT = 60


def drag_pin(page, dx: int, dy: int) -> None:
    page.locator("#minimap").evaluate("map => map.scrollIntoView({block: 'center'})")
    pin = page.locator("#minimap .leaflet-marker-icon").bounding_box()
    x, y = pin["x"] + pin["width"] / 2, pin["y"] + pin["height"] - 4
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + dx, y + dy, steps=6)
    page.mouse.up()


def wait_saved(page) -> None:
    page.wait_for_selector("#report-form[data-draft=saved]", state="attached")


def draft_on_the_form(page) -> dict:
    page.wait_for_function("document.querySelector('#photo-list').dataset.count !== undefined")
    return {
        "category": page.get_by_test_id("category-chosen").inner_text(),
        "description": page.input_value("#description"),
        "urgent": page.is_checked("input[name=urgency][value=urgent]"),
        "photos": page.locator("#photo-list img").count(),
        "status": page.inner_text("#gps-status"),
        "position": page.evaluate("GCM.report.position()"),
    }


def in_view(page, selector: str) -> bool:
    """Visible, on screen and clear of the tab bar."""
    box = page.locator(selector).bounding_box()
    return box is not None and box["y"] >= 0 and box["y"] + box["height"] <= PHONE["height"] - TABBAR_HEIGHT


def test_back_from_every_tab_and_the_login_page_keep_the_draft(phone, demo_app, create_client, tmp_path):
    position = grid_point(demo_app, "insp021", create_client)
    context, page, problems = phone(position)
    sign_in(page, "insp021")
    page.wait_for_selector("#minimap .leaflet-marker-icon")
    fill_report(page, "E0102", "E0102", "返回键不丢草稿", photo_file(tmp_path, size=(800, 600)))
    page.locator("label.radio", has_text="紧急").click()
    drag_pin(page, 30, 0)
    page.wait_for_function("document.querySelector('#gps-status').textContent.includes('校正')")
    wait_saved(page)
    draft = draft_on_the_form(page)
    assert draft["category"].startswith("暴露垃圾") and draft["photos"] == 1 and draft["urgent"]

    tabs = ["report", "tasks", "patrol", "month", "outbox"]
    for tab in tabs[1:]:
        page.click(f"#nav-{tab}")
    for tab in reversed(tabs[:-1]):  # back, tab by tab
        page.go_back()
        page.wait_for_selector(f"#nav-{tab}[aria-current=page]")
        assert page.locator(f"#tab-{tab}").is_visible() and page.locator("#login-form").count() == 0
    assert draft_on_the_form(page) == draft

    # An older history entry of the sign-in page: a signed-in inspector goes on to the app, draft and all.
    page.goto("/login?next=/m/")
    wait_ready(page)
    assert page.url.endswith("/m/#report") and page.locator("#login-form").count() == 0
    page.wait_for_function("document.querySelector('#photo-list').dataset.count === '1'")
    assert draft_on_the_form(page) == draft
    page.screenshot(path=ARTIFACTS / "m-draft-back.png", full_page=True)
    assert problems == []


def test_a_killed_page_reopens_with_its_draft_until_it_is_discarded(phone, demo_app, create_client, tmp_path):
    position = grid_point(demo_app, "insp022", create_client)
    context, page, problems = phone(position)
    sign_in(page, "insp022")
    fill_report(page, "E0102", "E0102", "页面被杀也不丢", photo_file(tmp_path, size=(800, 600)))
    wait_saved(page)
    page.close()  # the phone killed the app mid-draft

    page = context.new_page()
    page.goto("/m/")
    wait_ready(page)
    page.wait_for_function("document.querySelector('#photo-list').dataset.count === '1'")
    page.locator("#photo-list img").evaluate("img => img.decode()")  # the photo itself, not just a count
    assert page.get_by_test_id("category-chosen").inner_text().startswith("暴露垃圾")
    assert page.input_value("#description") == "页面被杀也不丢"

    page.once("dialog", lambda dialog: dialog.accept())
    page.click("#draft-discard")
    page.wait_for_selector("#report-form[data-draft=none]", state="attached")
    assert page.locator("#category-picker").is_visible() and page.input_value("#description") == ""
    assert page.locator("#photo-list img").count() == 0 and page.locator("#draft-discard").is_hidden()
    page.reload()
    wait_ready(page)
    page.wait_for_selector("#report-form[data-draft=none]", state="attached")
    assert page.locator("#photo-list img").count() == 0 and page.input_value("#description") == ""
    assert problems == []


def test_without_gps_the_pin_is_placed_by_hand_in_the_work_grid(phone, demo_app, create_client, tmp_path):
    position = grid_point(demo_app, "insp023", create_client)
    context, page, problems = phone(position)
    context.clear_permissions()  # location refused
    sign_in(page, "insp023")
    page.wait_for_selector("#minimap[data-unit-grids] .leaflet-marker-icon", state="attached")
    assert int(page.get_attribute("#minimap", "data-unit-grids")) > 1
    assert page.locator("#minimap path.leaflet-interactive, #minimap svg path").count() > 1
    assert "拖动图钉" in page.inner_text("#gps-status")
    fill_report(page, "E0102", "E0102", "无定位手动选点", photo_file(tmp_path, size=(800, 600)))
    page.click("#report-submit")  # the pin not placed yet: said at the map
    assert page.locator("#position-error").is_visible() and in_view(page, "#position-error")

    drag_pin(page, 25, 15)
    page.wait_for_function("document.querySelector('#gps-status').textContent === '位置已手动选择'")
    assert page.locator("#position-error").is_hidden()
    grid = page.wait_for_selector("#minimap[data-grid]", state="attached").get_attribute("data-grid")
    page.wait_for_function(
        "code => document.querySelector('#grid-line').textContent.includes(code)", arg=grid
    )
    page.screenshot(path=ARTIFACTS / "m-draft-no-gps.png")
    page.click("#report-submit")
    page.locator("#receipt").wait_for(state="visible")
    assert page.get_by_test_id("receipt-unit-grid").inner_text() == grid

    api = create_client("insp023")
    (summary,) = cases_by_description(api, "无定位手动选点")
    case = api.get(f"/api/v1/cases/{summary['id']}").get_json()
    assert case["position_by_hand"] is True and case["raw_position"] is None
    assert case["unit_grid_code"] == grid
    with demo_app.app_context():
        assert locate(case["lon"], case["lat"]).unit_grid_code == grid  # the grid under the pin
        db.session.remove()

    # The dispatch drawer says so in words.
    desk = context.browser.new_context(base_url=page.url.split("/m/")[0], locale="zh-CN", bypass_csp=True)
    try:
        dispatcher = desk.new_page()
        dispatcher.goto("/login?next=/search/")
        dispatcher.fill("#username", "dispatcher1")
        dispatcher.fill("#password", PASSWORD)
        dispatcher.click("#login-submit")
        dispatcher.wait_for_url("**/search/")
        dispatcher.wait_for_function("window.GridCitySearch")
        dispatcher.evaluate("id => window.GridCitySearch.drawer.open(id)", case["id"])
        facts = dispatcher.locator(f"#drawer[data-case-id='{case['id']}'] .drawer-facts")
        facts.wait_for()
        assert "位置" in facts.inner_text() and "监督员手动选择" in facts.inner_text()
    finally:
        desk.close()
    assert problems == []


def test_errors_at_their_field_then_sending_until_the_slow_answer(phone, demo_app, create_client, tmp_path):
    position = grid_point(demo_app, "insp024", create_client)
    context, page, problems = phone(position)
    sign_in(page, "insp024")
    page.wait_for_selector("#minimap[data-grid]", state="attached")
    # The category needs a photo (the city's default, given to the page as min_photos).
    assert page.evaluate("GCM.data.categories.find(c => c.code === 'E0102').min_photos") == 1

    page.click("#report-submit")
    assert page.inner_text("#category-error") == "请选择问题类别。" and in_view(page, "#category-error")
    assert page.locator("#report-error").is_hidden()
    fill_report(page, "E0102", "E0102", "慢网络只生成一个案卷", photo=False)
    assert page.locator("#category-error").is_hidden()
    page.click("#report-submit")
    assert page.inner_text("#photo-error") == "请至少拍摄 1 张照片。" and in_view(page, "#photo-error")
    page.screenshot(path=ARTIFACTS / "m-draft-photo-error.png")
    page.set_input_files("#photo-input", str(photo_file(tmp_path, size=(800, 600))))
    page.wait_for_selector("#photo-list img")
    assert page.locator("#photo-error").is_hidden()

    held = []  # a slow network: the answer waits until the test lets it through
    page.route("**/api/v1/reports", lambda route: held.append(route))
    page.click("#report-submit")
    while not held:
        page.wait_for_timeout(50)
    button = page.locator("#report-submit")
    assert button.inner_text() == "发送中…" and button.is_disabled()
    page.screenshot(path=ARTIFACTS / "m-draft-sending.png")
    page.wait_for_timeout(300)  # still sending: no second request
    assert len(held) == 1 and button.inner_text() == "发送中…"
    held[0].continue_()
    page.locator("#receipt").wait_for(state="visible")
    number = page.get_by_test_id("receipt-number").inner_text()
    assert page.inner_text("#receipt h2") == f"已发送：案卷号 {number}"
    assert len(held) == 1
    assert len(cases_by_description(create_client("insp024"), "慢网络只生成一个案卷")) == 1
    page.click("text=继续上报")
    assert button.inner_text() == "提交上报" and button.is_enabled()
    assert problems == []
