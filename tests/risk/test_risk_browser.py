"""A dispatcher sorts the 待派遣 queue by overdue risk in headless Chromium
and opens the riskiest case: the drawer shows the level, the main factors in
words (the slow unit first), and the dispatch suggestion of a case returned
before — and no internal identifier anywhere on the page.

The demo city (a copy) gets a planted year of dispatches in which the unit
the rules pick for one category is slow; two cases wait for dispatch, one of
that category (returned before), one of another."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import insert, select

from gridcity.cases.models import Case
from gridcity.cases.routing import location_of
from gridcity.core.errors import GridCityError
from gridcity.extensions import db
from gridcity.org.models import Unit
from gridcity.risk import services
from gridcity.taxonomy.models import Category
from gridcity.taxonomy.services import responsible_unit_id
from tests.dispatch.conftest import demo_city_copy
from tests.dispatch.test_dispatch_browser import open_page
from tests.risk.history import case_row, places, plant_year
from tests.risk.test_risk_model import risk_identifiers
from tests.scorecards.test_browser_drilldown import VISIBLE_TEXT, leaks
from tests.web.test_browser import ARTIFACTS

pytestmark = pytest.mark.browser


def two_routed_categories(grid) -> list[tuple[Category, int]]:
    """Two categories the rules send to different units at ``grid``."""
    probe = Case(unit_grid_id=grid.id, community_id=grid.community_id, street_id=grid.street_id,
                 district_id=grid.district_id, work_grid_id=grid.work_grid_id)  # fmt: skip
    found: dict[int, Category] = {}
    for category in db.session.scalars(select(Category).where(Category.active).order_by(Category.code)):
        try:
            unit = responsible_unit_id(category, location_of(probe))
        except GridCityError:
            continue
        found.setdefault(unit, category)
        if len(found) == 2:
            return [(c, u) for u, c in found.items()]
    raise AssertionError("the demo rules send every category to one unit")


@pytest.fixture(scope="module")
def risk_city(demo_city, tmp_path_factory) -> dict:
    with demo_city_copy(demo_city, tmp_path_factory, "risk-city") as copy, copy["app"].app_context():
        now = dt.datetime.now(dt.UTC).replace(microsecond=0)
        grid = places()[0]
        (slow_category, slow), (other_category, _) = two_routed_categories(grid)
        units = db.session.scalars(select(Unit.id).where(Unit.active).order_by(Unit.id)).all()
        fast = next(u for u in units if u != slow)
        categories = db.session.scalars(select(Category.id).order_by(Category.code).limit(8)).all()
        # The planted slow category is neither of the waiting cases'.
        planted = next(c for c in categories if c not in (slow_category.id, other_category.id))
        plant_year(
            now, units, [*categories, slow_category.id, other_category.id], slow, fast, planted, [grid]
        )
        waiting = [
            case_row(f"W{i}", grid, category.id, None, now, state="filed", dispatched_at=None, deadline_at=None,
                     filed_at=now - dt.timedelta(minutes=5), return_count=returns)
            for i, (category, returns) in enumerate(((other_category, 0), (slow_category, 1)))
        ]  # fmt: skip
        db.session.execute(insert(Case.__table__), waiting)
        run = services.retrain()
        db.session.commit()
        assert run.status == "trained"
        ids = {n: db.session.scalar(select(Case.id).where(Case.number == n)) for n in ("W0", "W1")}
        yield {**copy, "slow_unit": db.session.get(Unit, slow).name, "ids": ids, "names": risk_identifiers()}
        db.session.remove()


def test_a_dispatcher_sorts_by_risk_and_reads_why(create_server, create_page, risk_city):
    server = create_server(database_url=risk_city["url"])
    page, problems = open_page(create_page, "/dispatch/", "dispatcher1", server=server)
    page.click("[data-testid=queue-to_dispatch]")
    items = page.locator("[data-testid=case-list] [data-case-id]")
    items.first.wait_for()
    page.select_option("[data-testid=list-sort]", "risk")
    riskiest = items.first
    assert riskiest.get_attribute("data-case-id") == str(risk_city["ids"]["W1"])
    assert "风险高" in riskiest.inner_text()
    risks = [int(items.nth(i).get_attribute("data-risk")) for i in range(items.count())]
    assert risks == sorted(risks, reverse=True) and len(risks) == 2

    riskiest.click()
    drawer = page.locator(f"#drawer[data-case-id='{risk_city['ids']['W1']}']")
    drawer.get_by_test_id("risk-factors").wait_for()
    assert drawer.get_by_test_id("risk-level").inner_text().startswith("高 ")
    factors = drawer.get_by_test_id("risk-factors").locator("li").all_inner_texts()
    assert factors[0] == f"单位：{risk_city['slow_unit']} 历史超期率高"
    suggestion = drawer.get_by_test_id("suggestion").inner_text()
    assert (
        f"责任规则：{risk_city['slow_unit']}" in suggestion and "此案卷曾回退；同类案卷最近由" in suggestion
    )
    assert leaks(page.evaluate(VISIBLE_TEXT), risk_city["names"]) == []
    page.screenshot(path=ARTIFACTS / "risk-drawer.png")

    # In English the same, in English words.
    page.context.add_cookies([{"name": "lang", "value": "en", "url": server}])
    page.reload()
    page.wait_for_selector("body[data-loaded]", state="attached")
    page.click("[data-testid=queue-to_dispatch]")
    page.select_option("[data-testid=list-sort]", "risk")
    items.first.click()
    drawer.get_by_test_id("risk-factors").wait_for()
    assert drawer.get_by_test_id("risk-factors").locator("li").first.inner_text() == (
        f"Unit: {risk_city['slow_unit']} is often late"
    )
    assert problems == []
