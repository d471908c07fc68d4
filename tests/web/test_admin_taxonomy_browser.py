"""The admin console's categories and responsibility rules in headless
Chromium (issue 17, acceptance), on a copy of the demo city with its own
server. An admin, through the UI only, changes a category's handling
deadline — a case dispatched before keeps its deadline, the next one gets the
new one — and moves a responsibility rule to another unit: "test a point"
and the next dispatch follow it. Both changes are in the audit log with
before → after, and no page shows an internal identifier.
Screenshots go to ``test-artifacts/admin-taxonomy-*.png``."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import select

from gridcity.extensions import db
from gridcity.geo.models import WorkGrid
from gridcity.org.models import User
from tests.dispatch.test_dispatch_browser import report, session_for
from tests.scorecards.test_browser_drilldown import VISIBLE_TEXT, internal_identifiers, leaks
from tests.web.conftest import serve_demo_copy
from tests.web.test_admin_people_browser import sign_in
from tests.web.test_browser import ARTIFACTS, browser, create_page  # noqa: F401 - fixtures

pytestmark = pytest.mark.browser

CATEGORY = "E0102"  # exposed garbage: 4 working hours in the default taxonomy


@pytest.fixture(scope="module")
def rules_city(demo_city, demo_app, create_server, tmp_path_factory) -> dict:
    """A copy of the demo city (this module changes its taxonomy), a server
    on it, and a point in insp001's first work grid."""
    base_url = serve_demo_copy(demo_city, create_server, tmp_path_factory.mktemp("rules-city"))
    me = session_for(base_url, "insp001").get(f"{base_url}/api/v1/me").json()
    with demo_app.app_context():
        grid = db.session.get(WorkGrid, me["scope"]["work_grids"][0]["id"])
        point = grid.geom.representative_point()
        usernames = list(db.session.scalars(select(User.username)))
        # User names (admin, manager…) are data the pages may show, not the code's words.
        names = internal_identifiers() - {p for u in usernames for p in re.split(r"[^A-Za-z0-9_]", u)}
        db.session.remove()
    return {"url": base_url, "lon": point.x, "lat": point.y, "names": names}


def moment(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


def dispatcher_of(city: dict):
    """``dispatch()``: a case of the category at the city's point, reported,
    accepted, filed and dispatched through the API (each user signed in once)."""
    sessions = {u: session_for(city["url"], u) for u in ("insp001", "operator1", "leader1", "dispatcher1")}

    def dispatch() -> dict:
        case = report(sessions["insp001"], city["url"], city, category=CATEGORY)
        for user, action in (("operator1", "accept"), ("leader1", "file"), ("dispatcher1", "dispatch")):
            answer = sessions[user].post(
                f"{city['url']}/api/v1/cases/{case['id']}/{action}", json={"version": case["version"]}
            )
            assert answer.status_code == 200, answer.text
            case = answer.json()
        return case

    return dispatch


def test_admin_changes_a_deadline_and_moves_a_rule_through_the_console(create_page, rules_city):  # noqa: F811
    base, names = rules_city["url"], rules_city["names"]
    admin_api = session_for(base, "admin")
    dispatch = dispatcher_of(rules_city)
    earlier = dispatch()
    page, problems = create_page(server=base)

    def check_words() -> None:
        assert leaks(page.evaluate(VISIBLE_TEXT), names) == [], page.url

    # (a) The handling deadline: 72 hours round the clock instead of 4 working hours.
    sign_in(page, "admin")
    page.wait_for_url(f"{base}/")
    page.goto("/admin/categories")
    check_words()
    page.locator(f"tr[data-code={CATEGORY}] [data-testid=edit-category]").click()
    page.wait_for_url(f"**/admin/categories/{CATEGORY}")
    page.select_option("#deadline_clock", label="紧急工作时（全天计时）")
    page.fill("#deadline_amount", "0")
    page.get_by_test_id("save-category").click()
    assert "大于 0" in page.locator("#deadline_amount-error").inner_text()
    page.fill("#deadline_amount", "72")
    page.get_by_test_id("save-category").click()
    page.wait_for_selector("[data-testid=done]")
    assert "处置时限：4 → 72" in page.get_by_test_id("history").inner_text()
    check_words()
    page.screenshot(path=str(ARTIFACTS / "admin-taxonomy-category.png"), full_page=True)
    page.goto("/admin/categories")
    assert (
        page.locator(f"tr[data-code={CATEGORY}] [data-testid=deadline]").inner_text() == "72 小时（全天计时）"
    )

    after = dispatch()
    again = admin_api.get(f"{base}/api/v1/cases/{earlier['id']}").json()
    assert again["deadline_at"] == earlier["deadline_at"]
    took = moment(after["deadline_at"]) - moment(after["reported_at"])
    assert dt.timedelta(hours=72) <= took < dt.timedelta(hours=72, minutes=2)

    # (b) Test the point, move the rule that answered there to another unit, test again.
    where = {"category": CATEGORY, "lon": rules_city["lon"], "lat": rules_city["lat"]}
    route = admin_api.get(f"{base}/api/v1/route", params=where).json()
    old_unit, place = route["unit"]["name"], route["rule"]["place"]
    page.get_by_test_id("nav-rules").click()
    page.wait_for_url("**/admin/rules")
    page.select_option("#category", CATEGORY)
    page.get_by_test_id("show-category").click()
    page.wait_for_url(f"**/admin/rules?category={CATEGORY}")
    page.wait_for_selector("#rule-map[data-drawn]")
    page.locator("#rule-map").click()  # a click on the map tests that point
    page.wait_for_selector("#point-answer[data-answered='1']")

    def test_point(times: int) -> str:
        page.fill("#lon", str(rules_city["lon"]))
        page.fill("#lat", str(rules_city["lat"]))
        page.get_by_test_id("test-point-submit").click()
        page.wait_for_selector(f"#point-answer[data-answered='{times}']")
        return page.get_by_test_id("point-answer").inner_text()

    assert (
        f"处置单位：{old_unit}" in test_point(2)
        and f"“{place}”" in page.get_by_test_id("point-answer").inner_text()
    )
    check_words()
    row = page.locator(f"tr[data-testid=rule][data-place='{place}']")
    new_unit = next(u for u in row.locator("select option").all_inner_texts() if u != old_unit)
    row.locator("select").select_option(label=new_unit)
    row.get_by_test_id("move-rule").click()
    page.wait_for_selector("[data-testid=done]")
    page.wait_for_selector("#rule-map[data-drawn]")
    answer = test_point(1)
    assert f"处置单位：{new_unit}" in answer and f"“{place}”" in answer
    assert f"责任单位：{old_unit} → {new_unit}" in page.get_by_test_id("history").inner_text()
    check_words()
    page.screenshot(path=str(ARTIFACTS / "admin-taxonomy-rules.png"), full_page=True)
    assert dispatch()["unit"]["name"] == new_unit

    # Both changes in the audit log, before → after.
    page.goto("/admin/audit")
    log = page.get_by_test_id("audit-entries").inner_text()
    assert "修改案件类别" in log and "处置时限：4 → 72" in log
    assert "修改责任规则" in log and f"责任单位：{old_unit} → {new_unit}" in log
    check_words()
    # In English, where many of the code's names are plain words, its compound names.
    page.context.add_cookies([{"name": "lang", "value": "en", "url": base}])
    english = {n for n in names if "_" in n or " " in n}
    for path in ("/admin/categories", f"/admin/categories/{CATEGORY}", f"/admin/rules?category={CATEGORY}"):
        page.goto(path)
        assert leaks(page.evaluate(VISIBLE_TEXT), english) == [], path
    assert "Responsibility rule changed" in page.goto("/admin/audit").text()
    assert [p for p in problems if "page error" in p] == []
