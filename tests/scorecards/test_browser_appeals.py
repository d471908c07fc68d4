"""Browser acceptance of appeals (考核申诉, issue 13): a unit handler contests a
case from the drill-down of their unit's figure, the manager accepts it, and
the month's version 2 shows the changed figure and names the appeal while
version 1 is unchanged (Playwright + /usr/bin/chromium, on a real server
over a demo city with last month lived and frozen)."""

from __future__ import annotations

import re

import pytest

from gridcity.extensions import db
from tests.cases.conftest import jpeg_bytes
from tests.scorecards.test_browser_scorecards import axe_violations, demo_city_with_history, server  # noqa: F401
from tests.web.test_browser import ARTIFACTS, PASSWORD, browser  # noqa: F401

pytestmark = pytest.mark.browser
# What a page must not show: state and figure codes, role codes, ids.
INTERNAL = re.compile(
    r"\b(pending|accepted|rejected|applied|overdue|overdue_open|rework|returned|handled|unit_handler|manager"
    r"|subject_id|case_id|tier)\b|#\d"
)
COUNT_PREFERENCE = ("overdue", "rework", "returned", "handled", "dispatched")
WINDOW_DAYS = 40  # longer than any month, so the test does not depend on today's date


@pytest.fixture(scope="module")
def history_city(tmp_path_factory) -> dict:
    """The demo city (seed 1) with last month lived and frozen, and an appeal
    window an admin set to more than a month of working days."""
    from gridcity.scorecards.scoring import indicators

    folder, url, app, month = demo_city_with_history(tmp_path_factory, "appeal-city")
    with app.app_context():
        document = indicators.definition_document()
        document["appeals"] = {"window_working_days": WINDOW_DAYS}
        indicators.save_definitions(document, None, "申诉期延长")
        db.session.commit()
        db.session.remove()
    return {"url": url, "folder": folder, "app": app, "month": month}


def contested(history_city) -> dict:
    """A unit with cases behind one of its figures, one of its handlers, the figure."""
    from gridcity.cases.models import Case
    from gridcity.org.models import User
    from gridcity.scorecards.snapshots import services as sc

    app, month = history_city["app"], history_city["month"]
    with app.app_context():
        rows = sc.month_scorecard(month, "unit").rows
        count, unit = next(
            (c, r)
            for c in COUNT_PREFERENCE
            for r in rows
            if r.counts.get(c) and sc.cases_behind(month, "unit", r.subject_id, c)
        )
        handler = db.session.scalar(
            db.select(User.username)
            .where(User.role == "unit_handler", User.unit_id == unit.subject_id)
            .limit(1)
        )
        first = sc.cases_behind(month, "unit", unit.subject_id, count)[0]
        number = db.session.get(Case, first).number
        db.session.remove()
    return {"unit": unit, "count": count, "figure": unit.counts[count], "handler": handler, "number": number}


def sign_in(browser, server, username: str, next_path: str):  # noqa: F811
    context = browser.new_context(base_url=server, viewport={"width": 1300, "height": 900}, locale="zh-CN")
    problems: list[str] = []
    page = context.new_page()
    page.on("console", lambda m: problems.append(f"console: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    page.goto(f"/login?next={next_path}")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("#login-submit")
    page.wait_for_url(f"{server}{next_path}")
    return context, page, problems


def shows_no_internal_identifier(page) -> None:
    text = page.locator("body").inner_text()
    found = INTERNAL.search(text)
    assert found is None, f"{page.url}: {found.group(0)!r} on the page"


def unit_figure(page, subject_id: int, count: str) -> str:
    return (
        page.locator(
            f"table[data-testid=scorecard] tr[data-subject-id='{subject_id}'] td[data-count={count}]"
        )
        .inner_text()
        .strip()
    )


def test_unit_contests_a_case_the_manager_accepts_and_version_2_shows_it(
    browser,  # noqa: F811 - the fixture imported above
    server,  # noqa: F811
    history_city,
    tmp_path,
):
    month = history_city["month"]
    x = contested(history_city)
    unit, count = x["unit"], x["count"]
    photo = tmp_path / "evidence.jpg"
    photo.write_bytes(jpeg_bytes((320, 240)))

    # The unit handler: 我的申诉 → the unit's figure → the cases behind it → appeal.
    context, page, problems = sign_in(browser, server, x["handler"], "/scorecards/appeals/")
    assert page.get_by_role("heading", name="我的申诉").count() == 1
    shows_no_internal_identifier(page)
    assert axe_violations(page) == []
    page.locator(f"[data-testid=open-months] a[data-count={count}]").click()
    page.wait_for_url(f"**/scorecards/{month}/unit/{unit.subject_id}/{count}")
    assert page.get_by_test_id("figure").inner_text() == str(x["figure"])
    row = page.locator("[data-testid=case-list] tbody tr", has_text=x["number"])
    shows_no_internal_identifier(page)
    assert axe_violations(page) == []
    row.get_by_test_id("appeal-case").click()
    page.wait_for_url("**/scorecards/appeals/new?*")
    assert page.get_by_test_id("appeal-case-number").inner_text() == x["number"]
    shows_no_internal_identifier(page)
    assert axe_violations(page) == []
    # Our words, not the browser's: no reason yet is said beside the field; the
    # photo picker is a button of ours and says what was chosen.
    assert page.get_by_test_id("photos-chosen").inner_text() == "未选择照片"
    page.get_by_test_id("submit-appeal").click()
    assert page.locator("#appeal-reason-error").inner_text() == "请填写申诉理由。"
    assert "/appeals/new" in page.url
    page.fill("#appeal-reason", "该案因道路施工封闭无法进场处置，已附现场照片。")
    page.set_input_files("#appeal-photos", str(photo))
    assert page.get_by_test_id("photos-chosen").inner_text() == "已选择 1 张照片"
    page.get_by_test_id("submit-appeal").click()
    page.wait_for_url(re.compile(r".*/scorecards/appeals/\d+$"))
    appeal_url = page.url
    assert page.get_by_test_id("appeal-state").inner_text() == "待审核"
    assert page.locator(".appeal-photos img").count() == 1
    shows_no_internal_identifier(page)
    page.screenshot(path=ARTIFACTS / "appeal-filed.png", full_page=True)
    assert problems == []

    # The manager: the queue → the appeal → accept with a note.
    manager, mpage, mproblems = sign_in(browser, server, "manager", "/scorecards/appeals/")
    assert mpage.get_by_role("heading", name="申诉审核").count() == 1
    mpage.locator("[data-testid=pending-appeals] a", has_text=x["number"]).click()
    mpage.wait_for_url(appeal_url)
    shows_no_internal_identifier(mpage)
    assert axe_violations(mpage) == []
    mpage.fill("#decision-note", "经核实，施工封路属实，予以受理。")
    mpage.get_by_test_id("accept-appeal").click()
    mpage.wait_for_url(appeal_url)
    assert mpage.get_by_test_id("appeal-state").inner_text() == "已受理"
    assert "第 2 版" in mpage.get_by_test_id("appeal-applied").inner_text()
    history = mpage.get_by_test_id("appeal-history").inner_text()
    assert "提出申诉" in history and "受理" in history and "生成新版本" in history
    shows_no_internal_identifier(mpage)

    # Version 2 shows the changed figure and names the appeal …
    mpage.get_by_test_id("applied-version-link").click()
    mpage.wait_for_url(f"**/scorecards/{month}/unit?version=2")
    assert unit_figure(mpage, unit.subject_id, count) == str(x["figure"] - 1)
    figure_name = {
        "overdue": "超期数",
        "rework": "返工数",
        "returned": "回退数",
        "handled": "处置数",
        "dispatched": "派遣数",
    }
    assert (
        f"考核申诉受理：案卷 {x['number']}（{unit.subject_name} · {figure_name[count]}）"
        in mpage.locator("main").inner_text()
    )
    mpage.screenshot(path=ARTIFACTS / "appeal-version-2.png", full_page=True)
    # … and version 1 is unchanged.
    mpage.goto(f"/scorecards/{month}/unit?version=1")
    assert unit_figure(mpage, unit.subject_id, count) == str(x["figure"])
    assert "考核申诉受理" not in mpage.locator("main").inner_text()
    assert mproblems == []

    # The unit sees the outcome in 我的申诉, and its drill-down no longer lists the case.
    page.goto("/scorecards/appeals/")
    assert page.locator("[data-testid=decided-appeals] [data-testid=appeal-state]").all_inner_texts() == [
        "已受理"
    ]
    page.goto(f"/scorecards/{month}/unit/{unit.subject_id}/{count}")
    assert page.get_by_test_id("figure").inner_text() == str(x["figure"] - 1)
    assert page.locator("[data-testid=case-list] tbody tr", has_text=x["number"]).count() == 0
    context.close()
    manager.close()
