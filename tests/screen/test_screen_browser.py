"""The wall screen (/screen/) in headless Chromium against the real server
over a copy of the demo city: every panel shows numbers; a report made
through the API reaches the counter, the map and the events within 2 s; after
the socket is cut and restored the numbers equal a fresh load's; the page
shows no internal identifier; at 3840×2160 (in English) nothing overflows.

Screenshots go to ``test-artifacts/screen-*.png``.
"""

from __future__ import annotations

import re
import time
import uuid

import pytest
from sqlalchemy import select

from gridcity.extensions import db
from gridcity.geo.models import WorkGrid
from gridcity.simulate.client import ApiSession
from tests.cases.conftest import jpeg_bytes
from tests.dispatch.conftest import demo_city_copy
from tests.dispatch.test_dispatch_browser import axe_violations
from tests.scorecards.test_browser_drilldown import VISIBLE_TEXT, internal_identifiers, leaks
from tests.web.test_browser import ARTIFACTS

pytestmark = pytest.mark.browser

PASSWORD = "gridcity-demo"
FIGURES = ("reported", "filed", "dispatched", "closed", "overdue")
OFFLINE_NOISE = ("ERR_INTERNET_DISCONNECTED", "WebSocket", "ERR_CONNECTION")
# What the page shows, read from the page: the figures, the boards, the events.
SHOWN = """() => {
  const fig = k => document.querySelector(`[data-testid=fig-${k}]`).dataset.value;
  const rows = k => Array.from(document.querySelectorAll(`[data-testid=panel-${k}] [data-list] li`))
      .map(li => li.innerText.replace(/\\s+/g, " ").trim());
  return {
    today: Object.fromEntries(["reported", "filed", "dispatched", "closed", "overdue"].map(k => [k, Number(fig(k))])),
    on_time: fig("on-time"),
    worst_units: rows("worst-units"), contest: rows("contest"), hotspots: rows("hotspots"),
    rings: Number(document.body.dataset.hotspots),
    events: Array.from(document.querySelectorAll("[data-testid=panel-events] li")).map(li => li.dataset.seq).map(Number),
    markers: window.GridCityScreen.markers.size,
  };
}"""
# A fresh load of the same page's sources, rendered the same way.
FRESH = """async () => {
  const screen = await (await fetch("/api/v1/screen")).json();
  const map = await (await fetch("/api/v1/dispatch/map")).json();
  return {screen, open: map.cases.length};
}"""


@pytest.fixture(scope="module")
def server(demo_city, create_server, tmp_path_factory):
    """The real server over this module's own copy of the demo city."""
    with demo_city_copy(demo_city, tmp_path_factory, "screen-city") as city:
        yield {"url": create_server(database_url=city["url"]), "app": city["app"]}


@pytest.fixture(scope="module")
def place(server):
    """A point in insp001's first work grid, and insp001 signed in."""
    inspector = ApiSession(server["url"], "insp001", PASSWORD).login()
    work_grid = inspector.get("/api/v1/me")["scope"]["work_grids"][0]["id"]
    with server["app"].app_context():
        point = db.session.scalar(
            select(WorkGrid.geom).where(WorkGrid.id == work_grid)
        ).representative_point()
        db.session.remove()
    return {"lon": point.x, "lat": point.y, "inspector": inspector}


@pytest.fixture(scope="module")
def seeded(server, place):
    """Before the screen opens: a case taken round the whole loop and closed
    in time, one with its unit and three just reported — five of one kind at
    one place, a hotspot — so every panel has something to show."""
    url = server["url"]
    admin = ApiSession(url, "admin", PASSWORD).login()
    users = admin.get("/api/v1/users")
    unit = admin.get("/api/v1/route", category="E0102", lon=place["lon"], lat=place["lat"])["unit"]
    handler = next(
        u for u in users if u["role"] == "unit_handler" and u["unit"] and u["unit"]["id"] == unit["id"]
    )
    operator = ApiSession(url, "operator1", PASSWORD).login()
    leader = ApiSession(url, "leader1", PASSWORD).login()
    dispatcher = ApiSession(url, "dispatcher1", PASSWORD).login()
    unit_side = ApiSession(url, handler["username"], PASSWORD).login()

    def dispatched():
        return dispatcher.act(leader.act(operator.act(report(place), "accept"), "file"), "dispatch")

    case = unit_side.act(
        unit_side.act(dispatched(), "unit_accept"), "handle", photos=[jpeg_bytes()], note="已清理"
    )
    task = next(t for t in case["tasks"] if t["kind"] == "check")
    checker = next(u["username"] for u in users if u["id"] == task["inspector_id"])
    checking = ApiSession(url, checker, PASSWORD).login()
    case = checking.act(case, "check", photos=[jpeg_bytes()], result="pass")
    assert leader.act(case, "close")["state"] == "closed"
    dispatched()
    for _ in range(3):
        report(place)
    return {"operator": operator, "leader": leader}


def report(place: dict) -> dict:
    """An inspector's report through the API, with its photo (multipart)."""
    import json

    body = {"category": "E0102", "lon": place["lon"], "lat": place["lat"], "description": "路口暴露垃圾"}
    return place["inspector"].request(
        "POST",
        "/api/v1/reports",
        data={"data": json.dumps(body)},
        files=[("photos", ("p.jpg", jpeg_bytes(), "image/jpeg"))],
        headers={"Idempotency-Key": str(uuid.uuid4())},
    )


def open_screen(create_page, server: str, **kwargs):
    page, problems = create_page(server=server, **kwargs)
    page.goto("/screen/")
    page.wait_for_url("**/login?next=/screen/")
    page.fill("#username", "manager")
    page.fill("#password", PASSWORD)
    page.click("#login-submit")
    page.wait_for_url("**/screen/")
    page.wait_for_selector(
        "body[data-screen-loads][data-loaded][data-live=connected][data-markers]",
        state="attached",
        timeout=15000,
    )
    return page, problems


def on_time_text(screen: dict) -> str:
    rate = screen["on_time"]["rate"]
    return "—" if rate is None else f"{rate * 100:.1f}%"


def assert_equals_fresh_load(page) -> dict:
    shown = page.evaluate(SHOWN)
    fresh = page.evaluate(FRESH)
    screen = fresh["screen"]
    assert shown["today"] == screen["today"]
    assert shown["on_time"] == on_time_text(screen)
    assert shown["events"] == [e["seq"] for e in screen["events"]]
    for panel, key in (("worst_units", "worst_units"), ("contest", "contest"), ("hotspots", "hotspots")):
        assert len(shown[panel]) == max(len(screen[key]), 1), panel  # an empty board says so in one line
    assert shown["rings"] == len(screen["hotspots"])  # each hotspot a ring on the map
    assert shown["markers"] == fresh["open"]
    return shown


def test_the_wall_screen_is_live_and_resyncs_to_a_fresh_load(create_page, server, place, seeded):
    page, problems = open_screen(create_page, server["url"], width=1920, height=1080)
    # Every panel shows live numbers.
    shown = assert_equals_fresh_load(page)
    assert all(isinstance(shown["today"][k], int) for k in FIGURES)
    assert shown["today"]["reported"] >= 3 and shown["today"]["closed"] >= 1
    assert shown["on_time"].endswith("%") and shown["markers"] >= 2 and len(shown["events"]) >= 10
    assert shown["worst_units"] and shown["contest"] and shown["rings"] >= 1
    assert all(
        any(ch.isdigit() for ch in row) for row in shown["worst_units"] + shown["contest"] + shown["hotspots"]
    )
    # The five reports at one place today are (in) a hotspot, decision support's own.
    rising = [re.search(r"(\d+) 件 · ↑ 上升$", row) for row in shown["hotspots"]]
    assert any(m and int(m.group(1)) >= 5 for m in rising), shown["hotspots"]
    assert page.locator("#map-count").inner_text() != ""
    with server["app"].app_context():
        names = internal_identifiers()
    assert leaks(page.evaluate(VISIBLE_TEXT), names) == []

    # A report through the API: counter, marker and event line within 2 s.
    before = shown["today"]["reported"]
    case = report(place)
    posted = time.monotonic()
    page.wait_for_function(
        """([id, number, n]) => window.GridCityScreen.markers.has(id)
             && Number(document.querySelector('[data-testid=fig-reported]').dataset.value) === n
             && document.querySelector(`[data-testid=panel-events] li[data-number="${number}"]`) !== null""",
        arg=[case["id"], case["number"], before + 1],
        timeout=2000,
    )
    print(f"report on the screen after {(time.monotonic() - posted) * 1000:.0f} ms")
    line = page.locator(f"[data-testid=panel-events] li[data-number='{case['number']}']").inner_text()
    assert "新上报" in line and case["number"] in line
    assert_equals_fresh_load(page)
    page.wait_for_timeout(700)  # the new line's animation ends
    page.screenshot(path=ARTIFACTS / "screen-1920.png")

    # The socket is cut; meanwhile reports come in and one is filed.
    loads = int(page.get_attribute("body", "data-screen-loads"))
    page.context.set_offline(True)
    page.evaluate("window.GridCityScreen.live.socket.io.engine.close()")
    page.wait_for_selector("body[data-live=offline]", state="attached")
    missed = [report(place) for _ in range(2)]
    seeded["leader"].act(seeded["operator"].act(missed[0], "accept"), "file")
    page.wait_for_timeout(300)
    assert page.evaluate("id => window.GridCityScreen.markers.has(id)", missed[1]["id"]) is False

    page.context.set_offline(False)
    page.wait_for_selector("body[data-live=connected]", state="attached", timeout=15000)
    page.wait_for_function("n => Number(document.body.dataset.screenLoads) > n", arg=loads, timeout=5000)
    page.wait_for_function("id => window.GridCityScreen.markers.has(id)", arg=missed[1]["id"], timeout=5000)
    after = assert_equals_fresh_load(page)
    assert after["today"]["reported"] == before + 3
    assert page.evaluate("performance.getEntriesByType('navigation').length") == 1  # no reload
    assert [p for p in problems if not any(noise in p for noise in OFFLINE_NOISE)] == []


def test_at_3840_by_2160_in_english_nothing_overflows(create_page, server, seeded):
    page, problems = open_screen(create_page, server["url"], width=3840, height=2160, lang="en")
    assert page.locator("h1").inner_text() == "City management command wall"
    overflow = page.evaluate(
        """() => {
          const out = [];
          const root = document.documentElement;
          if (root.scrollWidth > innerWidth || root.scrollHeight > innerHeight) out.push("page");
          document.querySelectorAll(".figure, .board, .screen-map, .screen-top").forEach(box => {
            const r = box.getBoundingClientRect();
            if (r.right > innerWidth + 1 || r.bottom > innerHeight + 1) out.push(box.className);
            box.querySelectorAll("h2, .figure-value, .figure-unit").forEach(e => {
              const t = e.getBoundingClientRect();
              if (t.right > r.right + 1 || t.bottom > r.bottom + 1) out.push(box.className + " " + e.className);
            });
          });
          return out;
        }"""
    )
    assert overflow == []
    with server["app"].app_context():
        english = {n for n in internal_identifiers() if "_" in n or " " in n}  # in English, compound names
    assert leaks(page.evaluate(VISIBLE_TEXT), english) == []
    page.screenshot(path=ARTIFACTS / "screen-3840.png")
    assert axe_violations(page) == []
    assert problems == []
