"""Decision support in Chromium (issue 20): a manager opens /analysis/ from
the home page, sees the planted hotspot in the ranked list and on the map,
each row's "转为治理任务" carries its cases, the recurrences tab lists the
planted recurrence per unit and street — and no page shows an internal
identifier, in Chinese or in English.

Runs on a copy of the demo city with the generated year of
tests/analysis/history.py added, served by its own server."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from gridcity import create_app
from gridcity.analysis import hotspots
from gridcity.analysis.scope import build_scope
from gridcity.extensions import db
from tests.analysis.history import YEAR, write_year
from tests.scorecards.test_browser_drilldown import VISIBLE_TEXT, internal_identifiers, leaks
from tests.web.conftest import SECRET_KEY, _stop, copy_demo_city, run_server
from tests.web.test_browser import ARTIFACTS, sign_in

pytestmark = pytest.mark.browser

MONTH = f"{YEAR}-03"
PLANTED = "暴露垃圾 三月 东片"


@pytest.fixture(scope="module")
def analysed_city(demo_city, tmp_path_factory):
    """The server, the planted year's ids, the March hotspots as the service
    finds them, and the names a reader must never meet."""
    folder = tmp_path_factory.mktemp("analysis-city")
    url = copy_demo_city(demo_city, folder)
    app = create_app({"instance_dir": folder, "database_url": url, "secret_key": SECRET_KEY})
    with app.app_context():
        planted = write_year()
        found = hotspots.find_hotspots(build_scope(month=MONTH))
        names = internal_identifiers()
        db.session.remove()
        db.engine.dispose()
    process, base_url = run_server(folder, url)
    try:
        yield {"url": base_url, "planted": planted, "found": found, "names": names}
    finally:
        _stop(process)


def test_the_manager_sees_the_planted_hotspot_on_the_list_and_the_map(browser, analysed_city):
    context = browser.new_context(
        base_url=analysed_city["url"], viewport={"width": 1400, "height": 900}, locale="zh-CN"
    )
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("console", lambda msg: problems.append(msg.text) if msg.type == "error" else None)
    names = analysed_city["names"]
    english_names = {n for n in names if "_" in n or " " in n}
    try:
        page.goto("/login")
        sign_in(page, "manager")
        page.locator("[data-testid=analysis-link]").click()
        page.wait_for_url("**/analysis/")
        assert page.locator("h1").inner_text().startswith("决策建议")

        page.select_option("select[name=month]", MONTH)
        page.locator("[data-testid=analysis-filter] button[type=submit]").click()
        page.wait_for_url(f"**/analysis/?tab=hotspots&month={MONTH}**")
        found = analysed_city["found"]
        planted_ids = set(analysed_city["planted"]["hotspots"][PLANTED])
        hotspot = next(h for h in found if planted_ids <= set(h.case_ids))
        row = page.locator(f"tr[data-hotspot='{hotspot.id}']")
        assert row.locator("td").nth(1).inner_text() == hotspot.category_name
        shown = {int(a.get_attribute("data-case-id")) for a in row.locator("a[data-case-id]").all()}
        assert planted_ids <= shown
        assert row.locator("[data-testid=direction]").inner_text() in ("上升", "下降", "持平")
        # On the map: one circle per hotspot, and a dot per case.
        page.wait_for_selector(f"#an-map[data-hotspots='{len(found)}']", state="attached")
        assert page.locator("#an-map path.an-hotspot").count() == len(found)
        assert page.locator("#an-map path.an-case").count() == sum(h.size for h in found)
        labels = page.locator(".an-hotspot-label").all_inner_texts()
        assert f"{hotspot.rank}. {hotspot.category_name} · {hotspot.size}" in labels
        # 转为治理任务 names the hotspot and carries its cases.
        link = urlsplit(row.locator("[data-testid=to-task]").get_attribute("href"))
        args = parse_qs(link.query)
        assert link.path == "/proactive/new" and args["id"] == [hotspot.id]
        assert planted_ids <= {int(i) for i in args["cases"][0].split(",")}
        # …and opens the proactive task's form with the hotspot's cases as its basis.
        row.locator("[data-testid=to-task]").click()
        page.wait_for_url("**/proactive/new?**")
        assert page.locator("[data-testid=basis-cases] tbody tr").count() == hotspot.size
        assert page.locator("#pa-title").input_value() != ""
        page.go_back()
        page.wait_for_url("**/analysis/**")
        # A case number opens its case page.
        row.locator("a[data-case-id]").first.click()
        page.wait_for_url("**/scorecards/cases/*")
        page.go_back()
        assert leaks(page.evaluate(VISIBLE_TEXT), names) == []
        page.screenshot(path=ARTIFACTS / "analysis-hotspots.png", full_page=True)

        page.locator("[data-testid=tab-recurrences]").click()
        page.wait_for_url("**tab=recurrences**")
        page.select_option("select[name=month]", f"{YEAR}-02")
        page.locator("[data-testid=analysis-filter] button[type=submit]").click()
        page.wait_for_url(f"**tab=recurrences&month={YEAR}-02**")
        first, second = analysed_city["planted"]["recurrences"]["井盖 二月 复发"]
        rows = page.locator("table[data-testid=recurrences] tbody tr")
        assert rows.count() >= 1 and page.locator("table[data-testid=per-unit] tbody tr").count() >= 1
        task_links = [urlsplit(a.get_attribute("href")) for a in page.locator("[data-testid=to-task]").all()]
        assert any(parse_qs(u.query)["cases"] == [f"{first},{second}"] for u in task_links)
        assert leaks(page.evaluate(VISIBLE_TEXT), names) == []

        page.locator("[data-set-lang=en]").click()
        page.wait_for_function("document.documentElement.lang === 'en'")
        assert "Recurring problems" in page.locator("nav.an-tabs").inner_text()
        assert leaks(page.evaluate(VISIBLE_TEXT), english_names) == []
        page.locator("[data-testid=tab-hotspots]").click()
        page.wait_for_selector("#an-map[data-hotspots]", state="attached")
        assert leaks(page.evaluate(VISIBLE_TEXT), english_names) == []
        assert problems == []
    finally:
        context.close()
