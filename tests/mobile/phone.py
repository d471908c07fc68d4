"""The inspectors' app in headless Chromium on a 360×640 phone: the browser and
phone fixtures (registered by ``tests/mobile/conftest.py``) and the steps every
browser test of the app shares. Screenshots go to ``test-artifacts/`` (not in
the repo)."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import select

from gridcity.extensions import db
from gridcity.geo.models import WorkGrid

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync"]  # fmt: skip
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
AXE = "/static/vendor/axe-core-4.14.1/axe.min.js"
PASSWORD = "gridcity-demo"
PHONE = {"width": 360, "height": 640}


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        message = f"Chromium is not installed at {CHROMIUM} (Debian/Ubuntu: `apt-get install chromium`)."
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def grid_point(demo_app, username: str, create_client) -> tuple[float, float]:
    """A point inside the inspector's first work grid (WGS-84)."""
    me = create_client(username).get("/api/v1/me").get_json()
    with demo_app.app_context():
        geom = db.session.scalar(
            select(WorkGrid.geom).where(WorkGrid.id == me["scope"]["work_grids"][0]["id"])
        )
        point = geom.representative_point()
        db.session.remove()
    return point.x, point.y


@pytest.fixture
def phone(browser, live_server):
    """``phone(position, lang=None, service_workers="block")`` → (context, page, problems):
    a phone-sized context with the GPS at ``position``; ``problems`` collects console
    errors, page errors and requests that leave our server."""
    contexts = []

    def create(position, lang=None, service_workers="block"):
        context = browser.new_context(
            base_url=live_server, viewport=PHONE, locale="zh-CN", has_touch=True, is_mobile=True,
            geolocation={"longitude": position[0], "latitude": position[1], "accuracy": 8},
            permissions=["geolocation"], service_workers=service_workers,
            # page.wait_for_function evaluates with eval() inside the page, which the app's
            # Content-Security-Policy refuses; the policy itself is checked, without this
            # bypass, by tests/web/test_csp_browser.py.
            bypass_csp=True,
        )  # fmt: skip
        contexts.append(context)
        if lang:
            context.add_cookies([{"name": "lang", "value": lang, "url": live_server}])
        problems: list[str] = []

        def only_our_server(route):
            if route.request.url.startswith(live_server):
                route.continue_()
            else:
                problems.append(f"external request: {route.request.url}")
                route.abort()

        context.route("**/*", only_our_server)

        def watch(page):
            page.on(
                "console",
                lambda m: problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None,
            )
            page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
            page.on("requestfailed", lambda r: problems.append(f"request failed: {r.url}"))

        context.on("page", watch)
        page = context.new_page()
        return context, page, problems

    yield create
    for context in contexts:
        context.close()


def sign_in(page, username: str) -> None:
    page.goto("/m/")
    page.wait_for_url("**/login?next=/m/")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("#login-submit")
    wait_ready(page)


def wait_ready(page) -> None:
    page.wait_for_selector("html[data-ready=report]", state="attached")


def wait_map(page) -> None:
    """The map is drawn and its marker images are in (before a test cuts the network)."""
    page.wait_for_selector("#minimap[data-grid] .leaflet-marker-icon", state="attached")
    page.wait_for_function("[...document.querySelectorAll('#minimap img')].every(i => i.complete)")
    page.wait_for_load_state("networkidle")


def photo_file(tmp_path, name="site.jpg", size=(3000, 2000)) -> Path:
    path = tmp_path / name
    Image.new("RGB", size, (120, 160, 90)).save(path, "JPEG", quality=70)
    return path


def small_photo() -> dict:
    """A small JPEG for the file picker, made in memory (no file needed)."""
    buffer = io.BytesIO()
    Image.new("RGB", (640, 480), (120, 160, 90)).save(buffer, "JPEG", quality=70)
    return {"name": "site.jpg", "mimeType": "image/jpeg", "buffer": buffer.getvalue()}


def fill_report(page, search: str, code: str, description: str, photo: Path | bool | None = None) -> None:
    """Choose the category, add a photo (an inspector's report needs one: a
    small one unless ``photo`` names a file; ``photo=False``: none) and type
    the description."""
    page.fill("#category-search", search)
    page.click(f"#category-list button[data-code={code}]")
    if photo is not False:
        count = page.locator("#photo-list img").count()
        page.set_input_files("#photo-input", str(photo) if photo else small_photo())
        page.wait_for_function(f"document.querySelectorAll('#photo-list img').length > {count}")
    page.fill("#description", description)


def outbox_count(page) -> int:
    return int(page.get_attribute("body", "data-outbox") or 0)


def axe_violations(page) -> list[str]:
    page.add_script_tag(url=AXE)
    result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}"
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def cases_by_description(client, text: str) -> list[dict]:
    return client.get(f"/api/v1/cases?q={text}").get_json()["items"]


def only_inspector_on_duty(demo_app, username: str) -> None:
    """Tasks of the inspector's work grid go to them (the others are off duty)."""
    from gridcity.geo.models import inspector_work_grid
    from gridcity.org.models import User

    with demo_app.app_context():
        me = db.session.scalar(select(User).where(User.username == username))
        grid = me.work_grids[0].id
        colleagues = db.session.scalars(
            select(User).join(inspector_work_grid).where(inspector_work_grid.c.work_grid_id == grid)
        ).all()
        for user in colleagues:
            user.on_duty = user.id == me.id
        db.session.commit()
        db.session.remove()


def handler_of(demo_app, unit_id: int) -> str:
    from gridcity.org.models import User

    with demo_app.app_context():
        name = db.session.scalar(select(User.username).where(User.unit_id == unit_id).order_by(User.id))
        db.session.remove()
    return name
