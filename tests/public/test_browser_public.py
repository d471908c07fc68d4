"""The citizens' app in Chromium on a 360×640 phone, against the real server
over a copy of the demo city — issue 18's story in one go: a citizen reports,
gets the code from the console sender (the server's log), follows the case as
staff move it (by the services) and sees the after-photo once it is checked;
then says "not fixed" with a photo, the grid inspector's re-verification
confirms, the case is reopened as rework and the unit's scorecard counts the
failed fix; fixed and closed again, the citizen rates it and the unit's
群众满意度 moves. Every page keeps its Content-Security-Policy and shows no
internal identifier."""

from __future__ import annotations

import io
import re
import time

import pytest
from PIL import Image
from sqlalchemy import select

from gridcity import create_app
from gridcity.cases import states
from gridcity.cases.models import Case
from gridcity.core import clock
from gridcity.extensions import db
from gridcity.geo.models import WorkGrid
from gridcity.public import not_fixed
from gridcity.scorecards.counting.engine import month_of
from gridcity.scorecards.snapshots import services as scorecards
from tests.mobile.phone import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, PHONE
from tests.public.conftest import move_case, task_inspector
from tests.scorecards.test_browser_drilldown import VISIBLE_TEXT, internal_identifiers, leaks
from tests.web.conftest import SECRET_KEY, create_server, demo_city, serve_demo_copy  # noqa: F401
from tests.web.test_csp_browser import RECORD_VIOLATIONS, csp_problems, violations

pytestmark = pytest.mark.browser
CITIZEN_PHONE = "13700001234"


@pytest.fixture(scope="module")
def citizen_city(demo_city, create_server, tmp_path_factory):  # noqa: F811
    """A copy of the demo city served by the real server, its folder, and an
    app on the same database (staff act through the services)."""
    folder = tmp_path_factory.mktemp("public-city")
    base_url = serve_demo_copy(demo_city, create_server, folder)
    app = create_app(
        {"instance_dir": folder, "database_url": f"sqlite:///{folder / 'gc.db'}", "secret_key": SECRET_KEY}
    )
    with app.app_context():
        grid = db.session.scalar(select(WorkGrid).where(WorkGrid.inspectors.any()).order_by(WorkGrid.code))
        point = grid.geom.representative_point()
        names = internal_identifiers()
        db.session.remove()
    yield {"base": base_url, "folder": folder, "app": app, "position": (point.x, point.y), "names": names}
    with app.app_context():
        db.engine.dispose()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    assert CHROMIUM.exists(), "the browser tests need /usr/bin/chromium"
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (640, 480), (30, 160, 90)).save(buffer, "JPEG")
    return buffer.getvalue()


def code_from_log(folder, phone: str) -> str:
    """The console sender's last code for ``phone``, from the server's log
    (which writes phones as [phone]: only this test asks for codes there)."""
    for _ in range(50):
        text = "\n".join(p.read_text(encoding="utf-8", errors="replace") for p in folder.glob("server-*.log"))
        found = re.findall(rf"SMS to (?:{phone}|\[phone\]): \D*(\d{{6}})", text)
        if found:
            return found[-1]
        time.sleep(0.1)
    raise AssertionError("no code in the server's log")


def unit_row(case: Case):
    """The live scorecard row of the unit holding ``case``, this month."""
    month = month_of(clock.utcnow())
    return next(r for r in scorecards.month_scorecard(month, "unit").rows if r.subject_id == case.unit_id)


def check_page(page, problems, names: set[str]) -> None:
    page.wait_for_timeout(200)
    assert violations(page) == []
    assert csp_problems(problems) == []
    assert leaks(page.evaluate(VISIBLE_TEXT), names) == []


def test_a_citizen_reports_confirms_by_code_and_follows_the_case_to_the_after_photo(browser, citizen_city):
    base, position = citizen_city["base"], citizen_city["position"]
    context = browser.new_context(
        base_url=base, viewport=PHONE, locale="zh-CN", has_touch=True, is_mobile=True,
        geolocation={"longitude": position[0], "latitude": position[1], "accuracy": 10},
        permissions=["geolocation"], bypass_csp=False,
    )  # fmt: skip
    problems: list[str] = []
    context.add_init_script(RECORD_VIOLATIONS)
    page = context.new_page()
    page.on(
        "console", lambda m: problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None
    )
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    try:
        response = page.goto("/p/")
        assert "'unsafe-inline'" not in response.headers["content-security-policy"]
        page.get_by_role("button", name="垃圾没人清").click()
        page.wait_for_selector("#gps-status:has-text('已定位')")
        page.set_input_files(
            "#photo-input", files=[{"name": "a.jpg", "mimeType": "image/jpeg", "buffer": jpeg()}]
        )
        page.wait_for_selector("#photo-list img")
        page.fill("#description", "小区门口垃圾堆了三天")
        check_page(page, problems, citizen_city["names"])
        page.click("#report-next")
        page.wait_for_selector("#nearby:not([hidden]), #phone:not([hidden])")
        if page.is_visible("#nearby"):  # the demo city may have the same problem open nearby
            page.screenshot(path=str(ARTIFACTS / "public-nearby.png"))
            page.click("#nearby-none")
        page.wait_for_selector("#phone:not([hidden])")
        page.fill("#phone-input", CITIZEN_PHONE)
        page.click("#code-send")
        page.fill("#code-input", code_from_log(citizen_city["folder"], CITIZEN_PHONE))
        page.click("#code-confirm")
        page.wait_for_selector("#receipt:not([hidden])")
        number = page.text_content("[data-testid=receipt-number]")
        assert re.fullmatch(r"\d{14}", number)
        page.wait_for_selector("[data-testid=my-report]")
        page.screenshot(path=str(ARTIFACTS / "public-receipt.png"))
        check_page(page, problems, citizen_city["names"])

        page.click("#receipt-link")
        page.wait_for_selector("[data-testid=follow-status]")
        follow_url = page.url
        assert page.text_content("[data-testid=follow-status]") == "已收到"
        check_page(page, problems, citizen_city["names"])

        with citizen_city["app"].app_context():
            move_case(number, "dispatch")
            db.session.remove()
        page.reload()
        assert page.text_content("[data-testid=follow-status]") == "已交办处置单位"
        assert page.is_visible("[data-testid=follow-unit]") and page.is_visible(
            "[data-testid=follow-expected]"
        )
        assert page.locator("[data-testid=after-photo]").count() == 0

        with citizen_city["app"].app_context():
            move_case(number, "close", photo=jpeg())
            db.session.remove()
        page.reload()
        assert page.text_content("[data-testid=follow-status]") == "已办结"
        photo = page.locator("[data-testid=after-photo]").first
        photo.scroll_into_view_if_needed()
        for _ in range(50):
            if page.evaluate("document.querySelector('[data-testid=after-photo]').naturalWidth") > 0:
                break
            page.wait_for_timeout(100)
        assert page.evaluate("document.querySelector('[data-testid=after-photo]').naturalWidth") > 0
        assert page.get_by_role("link", name="问题没有解决").is_visible()
        assert "现场核查确认已处理。" in page.text_content("[data-testid=follow-steps]")
        page.screenshot(path=str(ARTIFACTS / "public-follow.png"), full_page=True)
        check_page(page, problems, citizen_city["names"])

        # Closed is not fixed: the citizen says so, with a photo.
        app = citizen_city["app"]
        with app.app_context():
            case = db.session.scalar(select(Case).where(Case.number == number))
            case_id, unit_id, reworks = case.id, case.unit_id, unit_row(case).counts["rework"]
            db.session.remove()
        page.get_by_role("link", name="问题没有解决").click()
        page.set_input_files(
            "#nf-photo", files=[{"name": "still.jpg", "mimeType": "image/jpeg", "buffer": jpeg()}]
        )
        page.fill("#nf-note", "垃圾又堆起来了")
        page.click("[data-testid=not-fixed-submit]")
        page.wait_for_selector("[data-testid=not-fixed-done]")
        assert "正在复核" in page.inner_text("[data-testid=not-fixed-claims]")
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        check_page(page, problems, citizen_city["names"])

        # The grid's inspector re-verifies on site: not fixed → rework for the same unit.
        with app.app_context():
            case = db.session.get(Case, case_id)
            not_fixed.recheck(case, task_inspector(case, "recheck"), True, "垃圾仍在", photos=[jpeg()])
            db.session.commit()
            assert case.state == states.IN_PROGRESS and case.unit_id == unit_id
            assert unit_row(case).counts["rework"] == reworks + 1  # the unit's failed fix
            db.session.remove()
        page.reload()
        assert "复核确认未修复，已退回责任单位返工" in page.inner_text("[data-testid=not-fixed-claims]")

        # Fixed this time and closed again: the citizen rates it from the follow page.
        with app.app_context():
            move_case(number, "close", photo=jpeg())
            satisfaction = unit_row(db.session.get(Case, case_id)).indicators["satisfaction_rate"]["value"]
            db.session.remove()
        page.goto(follow_url)
        assert page.text_content("[data-testid=follow-status]") == "已办结"
        page.get_by_role("link", name="评价处置").click()
        page.check("input[value=satisfied]")
        page.click("[data-testid=rate-submit]")
        page.wait_for_selector("[data-testid=rate-done]")
        assert "满意" in page.inner_text("[data-testid=rate-given]")
        check_page(page, problems, citizen_city["names"])
        with app.app_context():
            row = unit_row(db.session.get(Case, case_id))
            assert row.counts["rated"] >= 1 and row.indicators["satisfaction_rate"]["value"] != satisfaction
            db.session.remove()
        page.goto(follow_url)

        page.click("[data-set-lang]")  # English too: no identifiers either
        page.wait_for_selector("html[lang=en]")
        assert page.text_content("[data-testid=follow-status]") == "Closed"
        english = {n for n in citizen_city["names"] if "_" in n}
        check_page(page, problems, english)
        page.goto("/p/")
        page.wait_for_selector("[data-testid=my-report]")
        check_page(page, problems, english)
    finally:
        context.close()
    assert problems == []
