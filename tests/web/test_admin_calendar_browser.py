"""The admin console's working calendar in headless Chromium (issue 17,
acceptance): an admin, through the UI only, adds a holiday on the day a case's
deadline falls; the next case dispatched gets a deadline that skips it, the
first keeps its own, and the audit log page shows the change before → after.
No page shows an internal identifier. Screenshot: ``test-artifacts/admin-calendar.png``."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from gridcity.extensions import db
from gridcity.geo.models import WorkGrid
from tests.dispatch.test_dispatch_browser import dispatched_case, session_for
from tests.scorecards.test_browser_drilldown import VISIBLE_TEXT, leaks
from tests.web.conftest import serve_demo_copy
from tests.web.test_admin_people_browser import admin_console
from tests.web.test_browser import ARTIFACTS, browser, create_page  # noqa: F401 - fixtures

pytestmark = pytest.mark.browser
CITY = ZoneInfo("Asia/Shanghai")  # the demo city's time zone


@pytest.fixture(scope="module")
def calendar_city(demo_city, demo_app, create_server, tmp_path_factory) -> dict:
    """A copy of the demo city (this module changes its calendar), a server on
    it, and a point in insp001's first work grid."""
    base_url = serve_demo_copy(demo_city, create_server, tmp_path_factory.mktemp("calendar-city"))
    me = session_for(base_url, "insp001").get(f"{base_url}/api/v1/me").json()
    with demo_app.app_context():
        grid = db.session.get(WorkGrid, me["scope"]["work_grids"][0]["id"])
        point = db.session.scalar(select(WorkGrid.geom).where(WorkGrid.id == grid.id)).representative_point()
        db.session.remove()
    return {"url": base_url, "place": {"lon": point.x, "lat": point.y}}


def _local(moment: str) -> dt.datetime:
    return dt.datetime.fromisoformat(moment).astimezone(CITY)


def test_admin_adds_a_holiday_and_the_next_deadline_skips_it(create_page, calendar_city, demo_app):  # noqa: F811
    base, place = calendar_city["url"], calendar_city["place"]
    first = dispatched_case(base, place)
    due = _local(first["deadline_at"])  # the day the holiday goes on
    holiday = due.date().isoformat()
    page, problems, check_words, names = admin_console(create_page, base, demo_app)
    page.get_by_test_id("open-calendar").click()
    page.wait_for_selector("[data-testid=calendar-year]")
    if page.locator(f"td[data-date='{holiday}']").count() == 0:  # next year's: one click on
        page.get_by_test_id("next-year").click()
    page.locator("[data-testid=legend]").wait_for()
    assert "法定节假日" in page.get_by_test_id("legend").inner_text()
    assert page.locator("table.calendar-month").count() == 12
    check_words()

    # A click on the day fills the form; a name, and it is a holiday.
    page.locator(f"td[data-date='{holiday}'] a").click()
    page.wait_for_function(f"document.querySelector('#date').value === '{holiday}'")
    page.select_option("#kind", label="法定节假日")
    page.get_by_test_id("save-day").click()  # without a name: refused, in words, at the form
    assert "请填写名称" in page.get_by_test_id("day-error").inner_text()
    page.fill("#name", "防台风停工日")
    page.get_by_test_id("save-day").click()
    page.wait_for_selector("[data-testid=done]")
    assert holiday in page.get_by_test_id("done").inner_text()
    assert "day-holiday" in page.locator(f"td[data-date='{holiday}']").get_attribute("class")
    check_words()
    page.screenshot(path=str(ARTIFACTS / "admin-calendar.png"), full_page=True)

    # The next case's deadline skips the holiday; the first case keeps its deadline.
    second = dispatched_case(base, place)
    assert _local(second["deadline_at"]).date() > due.date()
    again = session_for(base, "dispatcher1").get(f"{base}/api/v1/cases/{first['id']}").json()
    assert again["deadline_at"] == first["deadline_at"]

    # The change in the audit log, before → after.
    page.get_by_test_id("admin-nav").get_by_role("link", name="审计日志").click()
    page.wait_for_selector("[data-testid=audit-entries]")
    log = page.get_by_test_id("audit-entries").inner_text()
    assert "标记节假日或调休上班日" in log and f"{holiday} 防台风停工日" in log
    assert "日期类型：— → 法定节假日" in log and "名称：— → 防台风停工日" in log
    check_words()
    # In English, where many of the code's names are plain words, its compound names.
    page.context.add_cookies([{"name": "lang", "value": "en", "url": base}])
    english = {n for n in names if "_" in n or " " in n}
    for path in ("/admin/calendar", "/admin/calendar/import", "/admin/audit"):
        page.goto(path)
        assert leaks(page.evaluate(VISIBLE_TEXT), english) == [], path
    assert "Public holiday" in page.goto("/admin/calendar").text()
    assert [p for p in problems if "page error" in p] == []
