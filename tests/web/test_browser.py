"""The pages in headless Chromium against the real server (``gridcity serve``).

Screenshots go to ``test-artifacts/`` at the repository root for a person to look at.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from gridcity.extensions import db
from gridcity.geo.coords import wgs84_to_gcj02
from gridcity.geo.models import WorkGrid

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
PASSWORD = "gridcity-demo"


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        message = (
            f"Chromium is not installed at {CHROMIUM}; the browser tests need it "
            "(Debian/Ubuntu: `apt-get install chromium`)."
        )
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def create_page(browser, live_server):
    """``create_page(lang=None, width=1280, height=800, server=live_server, bypass_csp=True)`` →
    (page, problems): a fresh browser context on a server; ``problems`` collects console
    errors, page errors and any request that leaves the server (no CDNs, no tiles)."""
    contexts = []

    def create(
        lang: str | None = None,
        width: int = 1280,
        height: int = 800,
        server: str = live_server,
        bypass_csp: bool = True,
    ):
        # page.wait_for_function evaluates with eval() inside the page, which the
        # Content-Security-Policy refuses: functional tests bypass the policy, and
        # tests/web/test_csp_browser.py checks it with bypass_csp=False.
        context = browser.new_context(
            base_url=server,
            viewport={"width": width, "height": height},
            locale="zh-CN",
            bypass_csp=bypass_csp,
        )
        contexts.append(context)
        if lang:
            context.add_cookies([{"name": "lang", "value": lang, "url": server}])
        problems: list[str] = []

        def only_our_server(route):
            if route.request.url.startswith(server):
                route.continue_()
            else:
                problems.append(f"external request: {route.request.url}")
                route.abort()

        context.route("**/*", only_our_server)
        page = context.new_page()
        page.on(
            "console",
            lambda msg: problems.append(f"console {msg.type}: {msg.text}") if msg.type == "error" else None,
        )
        page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
        return page, problems

    yield create
    for context in contexts:
        context.close()


def sign_in(page, username: str) -> None:
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("#login-submit")


def wait_for_map(page) -> None:
    page.wait_for_selector("#map[data-streets][data-work-grids]", state="attached")


def street_paths(page) -> int:
    return page.locator(".leaflet-overlay-pane path.gc-street").count()


def test_inspector_signs_in_and_sees_the_map(create_page, create_client, demo_app, live_server):
    me = create_client("insp001").get("/api/v1/me").get_json()
    own_ids = [w["id"] for w in me["scope"]["work_grids"]]
    with demo_app.app_context():
        point = db.session.scalar(
            select(WorkGrid.geom).where(WorkGrid.id == own_ids[0])
        ).representative_point()
        db.session.remove()

    page, problems = create_page()
    page.goto("/")
    page.wait_for_url("**/login?next=/")
    assert page.locator("h1").inner_text() == "GridCity 数字城管"
    sign_in(page, "insp001")
    page.wait_for_url(f"{live_server}/")
    wait_for_map(page)

    assert page.get_by_test_id("user-name").inner_text() == me["display_name"]
    assert page.get_by_test_id("role-name").inner_text() == "监督员"
    assert street_paths(page) >= 4
    assert page.locator(".leaflet-overlay-pane path.gc-work-grid").count() == 17
    assert page.locator("path.gc-mine").count() == len(own_ids)
    assert page.locator(".street-label").count() >= 4
    assert page.locator(".leaflet-tile-pane img").count() == 0  # tiles off (the tests' setting)
    # ... which the map says plainly instead of showing a blank grey sheet.
    assert page.get_attribute("#map", "data-basemap") == "off"
    assert page.get_by_test_id("basemap-note").inner_text() == "底图不可用：仅显示本系统的网格与部件。"
    hint = page.locator(".map-hint")
    assert hint.is_visible() and "15" in hint.inner_text()
    page.wait_for_timeout(300)  # let the fit animation settle before the picture
    page.screenshot(path=ARTIFACTS / "home-map.png")

    page.evaluate(
        "([lat, lon]) => window.GridCityMap.map.setView([lat, lon], 16, {animate: false})", [point.y, point.x]
    )
    page.wait_for_function("document.querySelectorAll('path.gc-unit-grid').length > 0")
    assert page.locator(".leaflet-overlay-pane path.gc-unit-grid").count() > 20
    assert not hint.is_visible()
    page.screenshot(path=ARTIFACTS / "home-unit-grids.png")

    # Zoomed back out, the unit grids go and the hint returns.
    page.evaluate("window.GridCityMap.map.setZoom(13, {animate: false})")
    page.wait_for_function("document.querySelectorAll('path.gc-unit-grid').length === 0")
    assert hint.is_visible()

    # The page's GCJ-02 shift is the server's formula.
    lon, lat = point.x, point.y
    shifted = page.evaluate("([lon, lat]) => window.GridCityDatum.wgs84ToGcj02(lon, lat)", [lon, lat])
    expected = wgs84_to_gcj02(lon, lat)
    assert shifted == pytest.approx([float(expected[0]), float(expected[1])], abs=1e-9)

    assert problems == []


def test_admin_in_english_returns_to_next_and_sees_the_tables(create_page):
    page, problems = create_page(lang="en")
    page.goto("/admin/")
    page.wait_for_url("**/login?next=/admin/")
    assert page.locator("#login-submit").inner_text() == "Sign in"
    sign_in(page, "admin")
    page.wait_for_url("**/admin/")
    for name in ("users", "units", "categories"):
        page.wait_for_selector(f"table[data-table={name}][data-loaded]", state="attached")
        assert int(page.get_attribute(f"table[data-table={name}]", "data-loaded")) > 0
    assert page.locator("h1").inner_text() == "Administration"
    assert page.get_by_role("cell", name="Administrator").first.is_visible()
    page.screenshot(path=ARTIFACTS / "admin-en.png")
    page.click("a[href='#categories']")
    assert page.get_by_role("cell", name="Component").first.is_visible()
    page.screenshot(path=ARTIFACTS / "admin-categories-en.png")

    page.click("text=Home")
    wait_for_map(page)
    assert page.get_by_test_id("role-name").inner_text() == "Administrator"
    assert "City overview" in page.get_by_test_id("role-panel").inner_text()
    assert street_paths(page) >= 4
    page.wait_for_timeout(300)
    page.screenshot(path=ARTIFACTS / "home-map-en.png")
    assert problems == []


def test_language_switch_and_sign_out(create_page):
    page, problems = create_page()
    page.goto("/login")
    page.click("[data-set-lang=en]")
    page.wait_for_selector("html[lang=en]")
    sign_in(page, "dispatcher1")
    wait_for_map(page)
    assert page.locator("[data-action=sign-out]").inner_text() == "Sign out"
    page.click("[data-set-lang=zh]")
    page.wait_for_selector("html[lang=zh-CN]")
    wait_for_map(page)
    assert page.locator("[data-action=sign-out]").inner_text() == "退出登录"
    page.click("[data-action=sign-out]")
    page.wait_for_url("**/login")
    page.goto("/")
    page.wait_for_url("**/login?next=/")
    assert problems == []


def test_wrong_password_shows_the_server_message(create_page):
    page, problems = create_page()
    page.goto("/login")
    page.fill("#username", "insp001")
    page.fill("#password", "not-the-password")
    page.click("#login-submit")
    error = page.locator("#login-error")
    error.wait_for(state="visible")
    assert error.inner_text() == "用户名或密码错误。"
    assert "/login" in page.url
    # Chromium logs every 4xx response; the 401 is the expected answer here.
    assert [p for p in problems if "status of 401" not in p] == []


@pytest.mark.parametrize(
    ("lang", "need_username", "need_password"),
    [
        ("zh", "请输入用户名。", "请输入密码。"),
        ("en", "Please enter your user name.", "Please enter your password."),
    ],
    ids=["zh", "en"],
)
def test_an_empty_sign_in_is_told_in_the_page_language_not_by_the_browser(
    create_page, lang, need_username, need_password
):
    page, problems = create_page(lang=lang)  # the browser itself is zh-CN
    page.goto("/login")
    assert page.locator("#login-form").get_attribute("novalidate") is not None
    page.click("#login-submit")
    assert page.locator("#username-error").inner_text() == need_username
    assert page.locator("#password-error").inner_text() == need_password
    assert page.evaluate("document.activeElement.id") == "username"
    assert page.locator("#login-error").is_hidden()  # nothing was sent
    page.fill("#username", "insp001")
    assert page.locator("#username-error").is_hidden() and page.locator("#password-error").is_visible()
    assert problems == []


def test_unit_handler_on_a_phone(create_page):
    page, problems = create_page(width=390, height=844)
    page.goto("/login")
    page.screenshot(path=ARTIFACTS / "login-phone.png")
    sign_in(page, "unit-yt-hw")
    wait_for_map(page)
    assert "盐田区环境卫生管理处" in page.get_by_test_id("role-panel").inner_text()
    map_box = page.locator("#map").bounding_box()
    assert map_box["height"] > 300 and map_box["width"] >= 380
    assert street_paths(page) >= 4
    page.wait_for_timeout(300)
    page.screenshot(path=ARTIFACTS / "home-phone.png")
    assert problems == []


def test_too_many_unit_grids_show_nothing_but_a_hint(create_page, demo_app):
    with demo_app.app_context():
        point = db.session.scalar(select(WorkGrid.geom).where(WorkGrid.code == "WG09")).representative_point()
        db.session.remove()
    page, problems = create_page()
    # Stand in for a view holding more than 5,000 unit grids (a very large screen).
    page.route(
        "**/api/v1/geo/unit-grids?**",
        lambda route: route.fulfill(status=413, json={"error": "bad_request", "message": "too many"}),
    )
    page.goto("/login")
    sign_in(page, "dispatcher1")
    wait_for_map(page)
    page.evaluate(
        "([lat, lon]) => window.GridCityMap.map.setView([lat, lon], 16, {animate: false})", [point.y, point.x]
    )
    hint = page.locator(".map-hint")
    page.wait_for_function("document.querySelector('.map-hint').textContent.includes('过多')")
    assert hint.is_visible()
    assert page.locator("path.gc-unit-grid").count() == 0

    # Switching the unit-grid layer off in the layer control hides the hint too.
    page.locator(".leaflet-control-layers-overlays label", has_text="单元网格").locator("input").uncheck()
    assert not hint.is_visible()
    assert [p for p in problems if "status of 413" not in p] == []


def test_gcj02_basemap_shifts_our_wgs84_data(create_server, create_page, demo_app):
    # A "basemap" served by our own server, so no request leaves the machine.
    server = create_server(
        tile_url="/static/vendor/leaflet-1.9.4/images/layers.png?z={z}&x={x}&y={y}",
        tile_datum="gcj02",
        tile_attribution="© 测试底图 <b>",
    )
    with demo_app.app_context():
        point = db.session.scalar(select(WorkGrid.geom).where(WorkGrid.code == "WG09")).representative_point()
        db.session.remove()
    page, problems = create_page(server=server)
    page.goto("/login")
    sign_in(page, "manager")
    wait_for_map(page)
    page.wait_for_selector(".leaflet-tile-pane img.leaflet-tile-loaded")

    raw, drawn = page.evaluate(
        """() => {
            const layer = window.GridCityMap.streets.getLayers()[0];
            const first = layer.getLatLngs()[0][0][0];
            return [layer.feature.geometry.coordinates[0][0][0], [first.lng, first.lat]];
        }"""
    )
    expected = wgs84_to_gcj02(*raw)
    assert drawn == pytest.approx([float(expected[0]), float(expected[1])], abs=1e-9)
    assert abs(drawn[0] - raw[0]) > 1e-3  # the shift is hundreds of metres here

    # The bounding box sent for unit grids is taken back to WGS-84 first.
    with page.expect_request("**/api/v1/geo/unit-grids?**") as request_info:
        page.evaluate(
            "([lat, lon]) => window.GridCityMap.map.setView([lat, lon], 16, {animate: false})",
            [float(v) for v in wgs84_to_gcj02(point.x, point.y)][::-1],
        )
    bbox = [float(v) for v in parse_qs(urlsplit(request_info.value.url).query)["bbox"][0].split(",")]
    assert (bbox[0] + bbox[2]) / 2 == pytest.approx(point.x, abs=1e-4)  # ~10 m
    assert (bbox[1] + bbox[3]) / 2 == pytest.approx(point.y, abs=1e-4)
    page.wait_for_function("document.querySelectorAll('path.gc-unit-grid').length > 20")
    page.screenshot(path=ARTIFACTS / "home-gcj02-basemap.png")
    # The provider's attribution in the corner, as text; no note while tiles load.
    assert "© 测试底图 <b>" in page.locator(".leaflet-control-attribution").inner_text()
    assert page.get_attribute("#map", "data-basemap") == "ok"
    assert page.get_by_test_id("basemap-note").count() == 0
    assert problems == []

    # The same basemap out of reach (no internet): the map says so and still draws our grids.
    offline, offline_problems = create_page(server=server)
    offline.route("**/layers.png?**", lambda route: route.abort("internetdisconnected"))
    offline.goto("/login")
    sign_in(offline, "manager")
    wait_for_map(offline)
    offline.get_by_test_id("basemap-note").wait_for()
    assert "底图不可用" in offline.get_by_test_id("basemap-note").inner_text()
    assert offline.get_attribute("#map", "data-basemap") == "failed"
    assert street_paths(offline) >= 4
    assert [p for p in offline_problems if "ERR_INTERNET_DISCONNECTED" not in p] == []
