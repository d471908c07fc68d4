"""The admin console's people in headless Chromium (issue 17, acceptance), on
a copy of the demo city with its own server: an admin, through the UI only,
creates an inspector with a work grid, who signs in and must change the
password before reaching the app; deactivates a user, who can no longer sign
in, while a past case still shows their name; and finds each change in the
audit log page with before → after. No page shows an internal identifier.
Screenshots go to ``test-artifacts/admin-people-*.png``."""

from __future__ import annotations

import re
import uuid

import pytest
from sqlalchemy import select

from gridcity.extensions import db
from gridcity.geo.models import WorkGrid
from gridcity.org.models import User
from tests.dispatch.test_dispatch_browser import session_for
from tests.scorecards.test_browser_drilldown import VISIBLE_TEXT, internal_identifiers, leaks
from tests.web.conftest import serve_demo_copy
from tests.web.test_browser import ARTIFACTS, PASSWORD, browser, create_page  # noqa: F401 - fixtures

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def people_city(demo_city, demo_app, create_server, tmp_path_factory) -> dict:
    """A copy of the demo city (this module changes its people) and a server on it."""
    base_url = serve_demo_copy(demo_city, create_server, tmp_path_factory.mktemp("people-city"))
    with demo_app.app_context():
        grid = db.session.scalar(select(WorkGrid).order_by(WorkGrid.code))
        point, grid_code = grid.geom.representative_point(), grid.code
        db.session.remove()
    # A past case of the operator's: a hotline call they took and accepted.
    operator = session_for(base_url, "operator1")
    body = {
        "category": "E0102",
        "lon": point.x,
        "lat": point.y,
        "source": "hotline",
        "description": "路口垃圾堆积",
    }
    case = operator.post(
        f"{base_url}/api/v1/reports", json=body, headers={"Idempotency-Key": str(uuid.uuid4())}
    )
    assert case.status_code == 201, case.text
    case = case.json()
    accepted = operator.post(
        f"{base_url}/api/v1/cases/{case['id']}/accept", json={"version": case["version"]}
    )
    assert accepted.status_code == 200, accepted.text
    number = accepted.json()["number"] or case["number"]
    name = operator.get(f"{base_url}/api/v1/me").json()["display_name"]
    return {
        "url": base_url,
        "case": {"id": case["id"], "number": number},
        "operator_name": name,
        "grid": grid_code,
    }


def sign_in(page, username: str, password: str = PASSWORD) -> None:
    page.goto("/login")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("#login-submit")


def admin_console(new_page, base: str, demo_app):
    """(page, problems, check_words, names): a page signed in as the admin on the
    console's start (/admin/), and a check that its visible text names none of
    the code's identifiers ``names``."""
    with demo_app.app_context():
        # Pages show user names (admin, manager…): data, not the code's words.
        usernames = db.session.scalars(select(User.username))
        names = internal_identifiers() - {part for u in usernames for part in re.split(r"[^A-Za-z0-9_]", u)}
        db.session.remove()
    page, problems = new_page(server=base)

    def check_words() -> None:
        assert leaks(page.evaluate(VISIBLE_TEXT), names) == [], page.url

    sign_in(page, "admin")
    page.wait_for_url(f"{base}/")
    page.goto("/admin/")
    return page, problems, check_words, names


def test_admin_manages_people_through_the_console(create_page, people_city, demo_app):  # noqa: F811
    base = people_city["url"]
    page, problems, check_words, names = admin_console(create_page, base, demo_app)
    # Create an inspector with a work grid.
    page.get_by_test_id("open-people").click()
    page.wait_for_url("**/admin/people")
    check_words()
    page.get_by_test_id("new-person").click()
    page.fill("#username", "insp900")
    page.fill("#display_name", "新来的监督员")
    page.select_option("#role", label="监督员")
    page.select_option("#work_grids", [people_city["grid"]])
    page.fill("#password", "first-pass-900")
    page.get_by_test_id("save-person").click()
    page.wait_for_selector("[data-testid=done]")
    assert "已创建" in page.get_by_test_id("done").inner_text()
    assert "新增人员" in page.get_by_test_id("history").inner_text()
    check_words()

    # Deactivate the operator, whose past cases keep their name.
    page.goto("/admin/people?q=operator1")
    page.locator("tr[data-username=operator1] [data-testid=edit-person]").click()
    page.get_by_test_id("deactivate").click()
    page.wait_for_selector("[data-testid=done]")
    assert "已停用" in page.get_by_test_id("done").inner_text()
    history = page.get_by_test_id("history").inner_text()
    assert "停用人员" in history and "启用：是 → 否" in history
    check_words()
    page.screenshot(path=str(ARTIFACTS / "admin-people-person.png"), full_page=True)

    # The past case still names them (the header's search, then the drawer).
    box = page.get_by_test_id("header-search").get_by_role("searchbox")
    box.fill(people_city["case"]["number"])
    box.press("Enter")
    page.wait_for_selector("body[data-searched]")
    page.locator(f"[data-testid=search-result][data-case-id='{people_city['case']['id']}']").click()
    page.wait_for_selector(f"#drawer[data-case-id='{people_city['case']['id']}']")
    page.wait_for_function(
        "n => document.querySelector('[data-testid=drawer]').innerText.includes(n)",
        arg=people_city["operator_name"],
    )

    # Each change in the audit log, before → after.
    page.goto("/admin/audit")
    log = page.get_by_test_id("audit-entries").inner_text()
    assert "新增人员" in log and "新来的监督员 (insp900)" in log and "监督员" in log
    assert "停用人员" in log and "启用：是 → 否" in log
    check_words()
    page.screenshot(path=str(ARTIFACTS / "admin-people-audit.png"), full_page=True)

    # The deactivated operator can no longer sign in.
    other, _ = create_page(server=base)
    sign_in(other, "operator1")
    other.wait_for_selector("#login-error:not([hidden])")
    assert "用户名或密码错误" in other.locator("#login-error").inner_text()

    # The new inspector must change the password before reaching the app.
    inspector, inspector_problems = create_page(server=base)
    sign_in(inspector, "insp900", "first-pass-900")
    inspector.wait_for_url("**/account/password**")
    assert inspector.get_by_test_id("must-change").is_visible()
    inspector.goto("/m/")
    inspector.wait_for_url("**/account/password**")
    inspector.get_by_test_id("change-password").click()  # empty: our words, not the browser's bubble
    assert inspector.locator("#old_password-error").inner_text() == "请填写此项。"
    inspector.fill("#old_password", "first-pass-900")
    inspector.fill("#new_password", "my-own-pass-900")
    inspector.fill("#repeat_password", "my-own-pass-900")
    inspector.get_by_test_id("change-password").click()
    inspector.wait_for_url("**/m/**")
    assert [p for p in inspector_problems if "page error" in p] == []

    # …and that, too, is in the log, with the sign-ins.
    page.goto("/admin/audit?object=insp900")
    log = page.get_by_test_id("audit-entries").inner_text()
    assert "本人修改密码" in log and "须修改密码：是 → 否" in log and "登录" in log
    failed = page.goto("/admin/audit?action=sign_in_failed")
    assert failed.ok and "账号已停用" in page.get_by_test_id("audit-entries").inner_text()
    check_words()
    # In English, where many of the code's names are plain words, its compound names.
    page.context.add_cookies([{"name": "lang", "value": "en", "url": base}])
    english = {n for n in names if "_" in n or " " in n}
    for path in ("/admin/audit", "/admin/people", "/account/password"):
        page.goto(path)
        assert leaks(page.evaluate(VISIBLE_TEXT), english) == [], path
    assert "Person deactivated" in page.goto("/admin/audit").text()
    assert [p for p in problems if "page error" in p] == []
