"""The admin console's assessment settings (考核设置, issue 17 item 6) in
headless Chromium, on a copy of the demo city with its own server. An admin,
through the UI only, lowers a weight, previews the change in words, saves it
with a note from next month, and finds the new version listed, in force from
that month, with its changes and in the audit log. No page shows an internal
identifier. Screenshot: ``test-artifacts/admin-assessment.png``."""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from gridcity.extensions import db
from gridcity.org.models import User
from tests.scorecards.test_browser_drilldown import VISIBLE_TEXT, internal_identifiers, leaks
from tests.web.conftest import serve_demo_copy
from tests.web.test_admin_people_browser import sign_in
from tests.web.test_browser import ARTIFACTS, browser, create_page  # noqa: F401 - fixtures

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def settings_city(demo_city, demo_app, create_server, tmp_path_factory) -> dict:
    """A copy of the demo city (this module adds a settings version) and a server on it."""
    base_url = serve_demo_copy(demo_city, create_server, tmp_path_factory.mktemp("settings-city"))
    with demo_app.app_context():
        usernames = list(db.session.scalars(select(User.username)))
        zone = demo_app.config["SETTINGS"].timezone
        db.session.remove()
    names = internal_identifiers() - {p for u in usernames for p in re.split(r"[^A-Za-z0-9_]", u)}
    return {"url": base_url, "names": names, "zone": zone}


def next_month(zone: str) -> str:
    today = dt.datetime.now(ZoneInfo(zone))
    return f"{today.year + today.month // 12:04d}-{today.month % 12 + 1:02d}"


def test_admin_changes_a_weight_previews_it_and_saves_it_from_next_month(create_page, settings_city):  # noqa: F811
    base, names = settings_city["url"], settings_city["names"]
    page, problems = create_page(server=base)

    def check_words() -> None:
        assert leaks(page.evaluate(VISIBLE_TEXT), names) == [], page.url

    sign_in(page, "admin")
    page.wait_for_url(f"{base}/")
    page.goto("/admin/")
    page.get_by_test_id("open-assessment").click()
    page.wait_for_url("**/admin/assessment")
    check_words()
    versions_before = page.locator("table[data-testid=versions] tbody tr").count()

    street = page.locator("fieldset[data-tier='街道']")
    street.locator("tr[data-indicator='按期结案率'] [data-testid=weight]").fill("35")
    page.get_by_test_id("preview").click()
    # 35 + 10 + 20 + 30: refused beside the tier, nothing saved.
    assert (
        "街道：各指标权重合计 95 %，应为 100 %。" in page.locator("fieldset[data-tier='街道']").inner_text()
    )
    street = page.locator("fieldset[data-tier='街道']")
    street.locator("tr[data-indicator='监督上报率'] [data-testid=weight]").fill("15")
    page.get_by_test_id("preview").click()
    page.wait_for_selector("[data-testid=changes]")
    assert page.get_by_test_id("change").all_inner_texts() == [
        "街道 · 监督上报率 权重 10 % → 15 %",
        "街道 · 按期结案率 权重 40 % → 35 %",
    ]
    check_words()

    month = next_month(settings_city["zone"])
    assert page.locator("#effective_from").input_value() == month  # next month is offered first
    page.get_by_test_id("note-input").fill("按期结案权重下调")
    page.get_by_test_id("save").click()
    page.wait_for_selector("[data-testid=done]")
    rows = page.locator("table[data-testid=versions] tbody tr")
    assert rows.count() == versions_before + 1
    newest = rows.first
    assert newest.get_by_test_id("effective").inner_text() == month
    assert newest.get_by_test_id("note").inner_text() == "按期结案权重下调"
    history = page.get_by_test_id("history").inner_text()
    assert "保存考核设置版本" in history and "街道 · 按期结案率 权重：40 % → 35 %" in history
    check_words()
    page.screenshot(path=str(ARTIFACTS / "admin-assessment.png"), full_page=True)

    newest.get_by_test_id("view-version").click()
    page.wait_for_url("**/admin/assessment/versions/*")
    assert page.get_by_test_id("change").all_inner_texts() == [
        "街道 · 监督上报率 权重 10 % → 15 %",
        "街道 · 按期结案率 权重 40 % → 35 %",
    ]
    check_words()
    page.context.add_cookies([{"name": "lang", "value": "en", "url": base}])
    page.reload()
    assert "Street · On-time closure rate weight 40 % → 35 %" in page.get_by_test_id("changes").inner_text()
    english = {n for n in names if "_" in n or " " in n}
    for path in ("/admin/assessment", page.url):
        page.goto(path)
        assert leaks(page.evaluate(VISIBLE_TEXT), english) == [], path
    assert [p for p in problems if "page error" in p] == []
