"""Acceptance of "closed is not fixed" and satisfaction (issue 18, item 3) in
headless Chromium on a 360×640 phone, over a copy of the demo city and its
real server: the holder of a closed case's follow link says "not fixed" with
a photo; the grid inspector's re-verification confirms; the case is reopened
as rework and the unit's live scorecard counts the failed fix; once closed
again the citizen rates it and 群众满意度 moves. The citizen's pages meet
their CSP and show no internal identifier."""

from __future__ import annotations

import datetime as dt
import secrets

import pytest
from sqlalchemy import select

from gridcity.cases import services, states
from gridcity.cases.models import Case, CaseTask
from gridcity.extensions import db
from gridcity.geo.models import WorkGrid
from gridcity.org.models import User
from gridcity.public import not_fixed
from gridcity.public.models import CitizenReport
from gridcity.scorecards.snapshots import services as scorecards
from tests.dispatch.conftest import demo_city_copy
from tests.public.feedback.conftest import jpeg_bytes
from tests.scorecards.test_browser_drilldown import VISIBLE_TEXT, internal_identifiers, leaks
from tests.web.test_browser import ARTIFACTS
from tests.web.test_csp_browser import RECORD_VIOLATIONS, csp_problems, violations

pytestmark = pytest.mark.browser
PHONE = {"width": 360, "height": 640}


@pytest.fixture(scope="module")
def feedback_city(demo_city, tmp_path_factory):  # noqa: F811
    with demo_city_copy(demo_city, tmp_path_factory, "feedback-city") as copy:
        yield copy


def named(username: str) -> User:
    return db.session.scalar(select(User).where(User.username == username))


def task_inspector(case: Case, kind: str) -> User:
    task = db.session.scalar(
        select(CaseTask).where(
            CaseTask.case_id == case.id, CaseTask.kind == kind, CaseTask.completed_at.is_(None)
        )
    )
    if task.inspector_id:
        return db.session.get(User, task.inspector_id)
    return db.session.scalar(
        select(User).where(User.role == "inspector", User.work_grids.any(WorkGrid.id == case.work_grid_id))
    )


def handle_check_close(case: Case) -> None:
    handler = db.session.scalar(select(User).where(User.role == "unit_handler", User.unit_id == case.unit_id))
    if case.state == states.DISPATCHED:
        services.unit_accept(case, handler)
    services.handle(case, handler, "已处理", photos=[jpeg_bytes()])
    services.check(case, task_inspector(case, "check"), True, photos=[jpeg_bytes()])
    services.close(case, named("leader1"))


def closed_followed_case() -> tuple[Case, str]:
    """A citizen's report through the services to 结案, with its follow link."""
    grid = db.session.scalar(select(WorkGrid).order_by(WorkGrid.id))
    point = grid.geom.representative_point()
    report = services.Report(
        category="E0102", lon=point.x, lat=point.y, source="public", reporter_contact="13912345678",
        description="路边垃圾堆了三天", photos=[jpeg_bytes()],
    )  # fmt: skip
    case = services.submit_report(report, named("operator1")).case
    services.accept(case, named("operator1"))
    services.verify(case, task_inspector(case, "verify"), True, photos=[jpeg_bytes()])
    services.file_case(case, named("leader1"))
    services.dispatch(case, named("dispatcher1"))
    handle_check_close(case)
    token = secrets.token_urlsafe(24)
    db.session.add(
        CitizenReport(case_id=case.id, kind="report", follow_token=token, created_at=case.reported_at)
    )
    db.session.commit()
    return case, token


def unit_row(case: Case):
    month = dt.datetime.now(dt.timezone(dt.timedelta(hours=8))).strftime("%Y-%m")
    return next(r for r in scorecards.month_scorecard(month, "unit").rows if r.subject_id == case.unit_id)


def test_a_citizen_says_not_fixed_the_inspector_confirms_and_the_citizen_rates(
    create_server,
    create_page,
    feedback_city,
    tmp_path,  # noqa: F811
):
    server = create_server(database_url=feedback_city["url"])
    app = feedback_city["app"]
    with app.app_context():
        case, token = closed_followed_case()
        case_id, unit_id = case.id, case.unit_id
        before = unit_row(case)
        names = internal_identifiers()
    photo = tmp_path / "still-there.jpg"
    photo.write_bytes(jpeg_bytes((320, 240)))
    page, problems = create_page(
        server=server, width=PHONE["width"], height=PHONE["height"], bypass_csp=False
    )
    page.add_init_script(RECORD_VIOLATIONS)

    # The citizen, on the phone: "not fixed", with a photo.
    page.goto(f"/p/r/{token}/not-fixed")
    page.set_input_files("#nf-photo", str(photo))
    page.fill("#nf-note", "垃圾又堆起来了")
    page.click("[data-testid=not-fixed-submit]")
    page.wait_for_selector("[data-testid=not-fixed-done]")
    assert "正在复核" in page.inner_text("[data-testid=not-fixed-claims]")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]  # fits the phone
    text = page.evaluate(VISIBLE_TEXT)
    assert leaks(text, names) == [] and "13912345678" not in text
    page.screenshot(path=str(ARTIFACTS / "public-not-fixed.png"), full_page=True)

    # The grid's inspector re-verifies on site: not fixed.
    with app.app_context():
        case = db.session.get(Case, case_id)
        not_fixed.recheck(case, task_inspector(case, "recheck"), True, "垃圾仍在", photos=[jpeg_bytes()])
        db.session.commit()
        assert case.state == states.IN_PROGRESS and case.unit_id == unit_id
        reworked = unit_row(case)
        assert reworked.counts["rework"] == before.counts["rework"] + 1  # the unit's failed fix
        db.session.remove()
    page.reload()
    assert "复核确认未修复，已退回责任单位返工" in page.inner_text("[data-testid=not-fixed-claims]")
    assert page.inner_text("[data-testid=public-status]") == "处理中"

    # Fixed this time and closed again; the citizen rates the handling.
    with app.app_context():
        case = db.session.get(Case, case_id)
        handle_check_close(case)
        db.session.commit()
        rated_before = unit_row(case).indicators["satisfaction_rate"]["value"]
        db.session.remove()
    page.click("text=评价办理情况")
    page.check("input[value=satisfied]")
    page.click("[data-testid=rate-submit]")
    page.wait_for_selector("[data-testid=rate-done]")
    assert "满意" in page.inner_text("[data-testid=rate-given]")
    with app.app_context():
        row = unit_row(db.session.get(Case, case_id))
        assert row.counts["rated"] >= 1 and row.indicators["satisfaction_rate"]["value"] != rated_before
        db.session.remove()
    text = page.evaluate(VISIBLE_TEXT)
    assert leaks(text, names) == []
    assert violations(page) == [] and csp_problems(problems) == [] and problems == []
